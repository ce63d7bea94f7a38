//! Local HTTPS fakes of the providers Phonebox forwards to: a test CA made in the
//! test (rcgen), a server certificate for 127.0.0.1 and localhost signed by it, and
//! a server that records every request and answers from a script.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::rustls;

/// A CA made for one test; its certificate is written to `pem_path` for
/// `--extra-ca`.
pub struct TestCa {
    pub pem_path: PathBuf,
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Phonebox test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        let pem_path = dir.path().join("test-ca.pem");
        std::fs::write(&pem_path, cert.pem()).expect("writes CA");
        TestCa {
            pem_path,
            params,
            key,
            _dir: dir,
        }
    }

    /// A server certificate and key for `names`, signed by this CA.
    fn leaf(&self, names: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let params = rcgen::CertificateParams::new(names).expect("params");
        let key = rcgen::KeyPair::generate().expect("key");
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("leaf certificate");
        (cert.der().to_vec(), key.serialize_der())
    }
}

/// How the fake answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A status, a content type, extra headers and a body.
    With {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Never answers: the client's timeout must end it.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::With {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn xml(status: u16, body: &str) -> Reply {
        Reply::With {
            status,
            content_type: "text/xml",
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        if let Reply::With { headers, .. } = &mut self {
            headers.push((name, value.to_owned()));
        }
        self
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    otherwise: Mutex<Option<Reply>>,
    arrived: Notify,
}

/// A running HTTPS fake.
#[derive(Clone)]
pub struct Fake {
    /// `https://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<State>,
}

impl Fake {
    /// Serves TLS with a certificate from `ca`; answers `otherwise` once the
    /// script is used up.
    pub async fn start(ca: &TestCa, otherwise: Reply) -> Fake {
        let (cert, key) = ca.leaf(&["127.0.0.1", "localhost"]);
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(cert)],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
            )
            .expect("TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(State::default());
        *state.otherwise.lock().expect("lock") = Some(otherwise);
        let serving = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let state = serving.clone();
                tokio::spawn(async move {
                    // A client that refuses our certificate ends the handshake here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Fake {
            base: format!("https://127.0.0.1:{port}"),
            state,
        }
    }

    /// Answers the next request with `reply` (before the standing answer).
    pub fn then(&self, reply: Reply) -> &Fake {
        self.state.script.lock().expect("lock").push_back(reply);
        self
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Waits until `n` requests have arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let wait = async {
            loop {
                let arrived = self.state.arrived.notified();
                tokio::pin!(arrived);
                arrived.as_mut().enable();
                if self.state.requests.lock().expect("lock").len() >= n {
                    return self.requests();
                }
                arrived.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("{n} requests did not arrive: {:?}", self.requests()))
    }
}

async fn answer(
    state: &State,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    state.requests.lock().expect("lock").push(recorded);
    state.arrived.notify_waiters();
    let reply = state
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .or_else(|| state.otherwise.lock().expect("lock").clone())
        .unwrap_or_else(|| Reply::json(200, "{}"));
    match reply {
        Reply::Hang => std::future::pending().await,
        Reply::With {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut response = hyper::Response::builder()
                .status(status)
                .header("content-type", content_type);
            for (k, v) in headers {
                response = response.header(k, v);
            }
            response
                .body(Full::new(Bytes::from(body)))
                .expect("response")
        }
    }
}
