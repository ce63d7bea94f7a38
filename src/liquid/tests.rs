use std::time::{Duration, Instant};

use super::*;

fn globals() -> Object {
    let mut g = Object::new();
    g.insert("code".into(), Value::from("482913"));
    g.insert("n".into(), Value::Int(100_000_000));
    g.insert(
        "user".into(),
        Value::object([
            ("name", Value::from("Ada")),
            (
                "tags",
                Value::array(vec![Value::from("b"), Value::from("a")]),
            ),
        ]),
    );
    g
}

fn render(src: &str) -> Result<String, Error> {
    parse(src, &Limits::default())?.render(&globals(), OffsetDateTime::UNIX_EPOCH)
}

fn ok(src: &str) -> String {
    render(src).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

#[test]
fn renders_auth0_defaults_and_common_tags() {
    assert_eq!(ok("{{code}} is your code"), "482913 is your code");
    assert_eq!(
        ok("{% if user.name == 'Ada' %}hi{% else %}no{% endif %}"),
        "hi"
    );
    assert_eq!(ok("{% unless user.missing %}shown{% endunless %}"), "shown");
    assert_eq!(
        ok("{% case code %}{% when '1', '482913' %}match{% else %}none{% endcase %}"),
        "match"
    );
    assert_eq!(
        ok("{% for t in user.tags reversed %}{{forloop.index}}{{t}}{% endfor %}"),
        "1a2b"
    );
    assert_eq!(
        ok("{% for i in (1..10) offset:2 limit:3 %}{% if i == 4 %}{% continue %}{% endif %}{{i}}{% endfor %}"),
        "35"
    );
    assert_eq!(
        ok("{% for i in (1..5) %}{% if i > 2 %}{% break %}{% endif %}{{i}}{% endfor %}"),
        "12"
    );
    assert_eq!(
        ok("{% for x in nothing %}a{% else %}empty{% endfor %}"),
        "empty"
    );
    assert_eq!(
        ok("{% assign x = code | slice: 0, 3 %}{% capture y %}[{{x}}]{% endcapture %}{{y}}"),
        "[482]"
    );
    assert_eq!(
        ok("{% increment c %}{% increment c %}{% decrement d %}"),
        "01-1"
    );
    assert_eq!(
        ok("{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}"),
        "aba"
    );
    assert_eq!(
        ok("{{ user.tags | sort | join: ',' }} {{ user.tags.size }}"),
        "a,b 2"
    );
    assert_eq!(
        ok("{% if true and false or true %}y{% else %}n{% endif %}"),
        "y"
    );
    assert_eq!(
        ok("{% tablerow i in (1..3) cols:2 %}{{i}}{% endtablerow %}"),
        "<tr class=\"row1\">\n<td class=\"col1\">1</td><td class=\"col2\">2</td></tr>\n<tr class=\"row2\"><td class=\"col1\">3</td></tr>\n"
    );
    assert_eq!(ok("a {%- comment %} x {% endcomment -%} b"), "ab");
    assert_eq!(ok("{% raw %}{{ code }}{% endraw %}"), "{{ code }}");
}

#[test]
fn unknown_variables_render_empty_as_in_auth0() {
    assert_eq!(
        ok("[{{ user.nickname }}][{{ nobody.at.all }}][{{ user.tags[9] }}]"),
        "[][][]"
    );
    assert_eq!(ok("{% if nobody %}x{% else %}y{% endif %}"), "y");
    assert_eq!(ok("{{ nobody | default: 'anon' }}"), "anon");
}

#[test]
fn deep_nesting_is_refused_at_parse_not_overflowed() {
    let nested = format!(
        "{}x{}",
        "{% if true %}".repeat(450),
        "{% endif %}".repeat(450)
    );
    assert!(nested.len() > 10_000);
    let e = render(&nested).expect_err("too deep");
    assert!(e.message.contains("nested more than 32"), "{e}");
    assert_eq!(e.position.map(|p| p.column), Some(1 + 32 * 13));
    let ok_depth = format!(
        "{}x{}",
        "{% if true %}".repeat(32),
        "{% endif %}".repeat(32)
    );
    assert_eq!(ok(&ok_depth), "x");
}

#[test]
fn huge_ranges_are_refused_or_cut_and_never_built() {
    let e = render("{% for i in (1..100000000) %}{% endfor %}").expect_err("literal");
    assert!(e.message.contains("longer than the 10000"), "{e}");
    let started = Instant::now();
    let e = render("{% for i in (1..n) %}{% endfor %}").expect_err("dynamic");
    assert!(e.message.contains("more than 10000 times"), "{e}");
    let e = render("{% for i in (1..n) %}{% for j in (1..n) %}{% endfor %}{% endfor %}")
        .expect_err("nested");
    assert!(e.message.contains("more than 10000 times"), "{e}");
    assert!(render("{{ (1..n) | join }}").is_err());
    assert!(render("{{ (1..n) | size }}").is_ok());
    // Cut after ten thousand steps, not after a hundred million.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn growth_is_capped() {
    let doubling =
        "{% assign x = 'ab' %}".to_owned() + &"{% assign x = x | append: x %}".repeat(40);
    let e = render(&doubling).expect_err("grows");
    assert!(e.message.contains("grew past"), "{e}");
    let captured = "{% assign x = 'ab' %}{% for i in (1..40) %}{% capture x %}{{x}}{{x}}{% endcapture %}{% endfor %}";
    assert!(render(captured).is_err());
    let output = "{% for i in (1..5000) %}0123456789{% endfor %}";
    let e = render(output).expect_err("output");
    assert!(e.message.contains("text grew past"), "{e}");
    let many = (0..300)
        .map(|i| format!("{{% assign v{i} = code | append: '{}' %}}", "x".repeat(20)))
        .collect::<String>();
    assert!(render(&many).is_ok());
}

#[test]
fn loop_objects_nest_only_as_deep_as_the_loops() {
    // A tablerow hides `forloop` from the loop inside it; were the parent looked
    // up by name, each round would wrap the last one, without bound.
    let chain = "{% tablerow t in (1..3) %}{% for i in (1..1) %}{% assign g = forloop %}{% endfor %}\
                 {% assign forloop = g %}{% endtablerow %}{% if g.parentloop %}chained{% else %}flat{% endif %}";
    assert!(ok(chain).ends_with("flat"), "{}", ok(chain));
    let nested = "{% for a in (1..2) %}{% for b in (1..2) %}{{ forloop.parentloop.index }}{% endfor %}{% endfor %}";
    assert_eq!(ok(nested), "1122");
}

#[test]
fn the_time_budget_stops_slow_renders() {
    let limits = Limits {
        time_budget: Duration::from_millis(20),
        ..Limits::default()
    };
    let slow = "{% assign s = '' %}{% for i in (1..500) %}{% assign s = s | append: 'ab' %}{% endfor %}\
                {% for i in (1..9000) %}{% assign t = s | split: '' | sort | join: '' %}{% endfor %}";
    let e = parse(slow, &limits)
        .and_then(|t| t.render(&globals(), OffsetDateTime::UNIX_EPOCH))
        .expect_err("too slow");
    assert!(e.message.contains("longer than 20 ms"), "{e}");
}

#[test]
fn what_cannot_render_is_refused_at_parse() {
    for (src, says) in [
        ("{% include 'x' %}", "not available"),
        ("{% render 'x' %}", "not available"),
        (
            "{% tablerow i in (1..3) cols:0 %}{% endtablerow %}",
            "at least 1",
        ),
        ("{{ 1 | divided_by: 0 }}", "divides by zero"),
        ("{{ 1 | modulo: 0 }}", "divides by zero"),
        ("{% if %}", "expected a value"),
        ("{% if x %}", "never closed"),
        ("{% endif %}", "no opening tag"),
        ("{% break %}", "outside a loop"),
        ("{{ x | nosuch }}", "unknown filter"),
        ("{% nosuch %}", "unknown tag"),
        ("{{ x | append }}", "takes 1 argument"),
    ] {
        let e = render(src).expect_err(src);
        assert!(e.message.contains(says), "{src}: {e}");
    }
    let big = "x".repeat(20_001);
    assert!(render(&big).is_err());
}

#[test]
fn overflowing_filters_answer_instead_of_panicking() {
    assert_eq!(
        ok("{{ 9223372036854775807 | plus: 1 }}"),
        "9.223372036854776e+18"
    );
    assert_eq!(
        ok("{{ -9223372036854775808 | abs }}"),
        "9.223372036854776e+18"
    );
    assert_eq!(
        ok("{{ -9223372036854775808 | divided_by: -1 }}"),
        "9.223372036854776e+18"
    );
    assert_eq!(
        ok("{{ 9223372036854775807 | times: 9223372036854775807 }}"),
        "8.507059173023462e+37"
    );
    let zero = "{% assign z = 0 %}{{ 1 | divided_by: z }}";
    assert!(render(zero)
        .expect_err("zero")
        .message
        .contains("divides by zero"));
    let cols = "{% assign c = 0 %}{% tablerow i in (1..3) cols:c %}{% endtablerow %}";
    assert!(render(cols)
        .expect_err("cols")
        .message
        .contains("at least 1"));
}

#[tokio::test]
async fn the_sandbox_renders_off_the_runtime_and_reports_failures() {
    let sandbox = Sandbox::default();
    let rendered = sandbox
        .render(
            vec![
                ("{{code}}".into(), globals()),
                ("{{ code | split: '' | join: '. ' }}".into(), globals()),
            ],
            OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .expect("renders");
    assert_eq!(rendered, vec!["482913", "4. 8. 2. 9. 1. 3"]);
    let e = sandbox
        .render(
            vec![("{% for i in (1..n) %}{% endfor %}".into(), globals())],
            OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .expect_err("bounded");
    assert!(e.message.contains("times"), "{e}");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Pieces hostile templates are made of, so random ones reach deep into the
    /// parser and renderer rather than failing at the first character.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("{% if code %}".to_owned()),
            Just("{% endif %}".to_owned()),
            Just("{% for i in (1..n) %}".to_owned()),
            Just("{% for i in user.tags %}".to_owned()),
            Just("{% endfor %}".to_owned()),
            Just("{% capture x %}".to_owned()),
            Just("{% endcapture %}".to_owned()),
            Just("{% assign x = x | append: x %}".to_owned()),
            Just("{{ x | replace: '', x }}".to_owned()),
            Just("{% break %}".to_owned()),
            Just("{% tablerow t in (1..3) cols:n %}".to_owned()),
            Just("{% endtablerow %}".to_owned()),
            Just("{{ n | times: n | plus: n | divided_by: -1 | modulo: 7 | abs }}".to_owned()),
            Just("{{ code | slice: -99999999999, 9223372036854775807 }}".to_owned()),
            Just("{% assign forloop = forloop %}".to_owned()),
            Just("{% assign x = forloop %}".to_owned()),
            Just("{{ x | sort | uniq | reverse | first }}".to_owned()),
            Just("{{ x | strip_html | escape_once | url_decode }}".to_owned()),
            Just("{% cycle 'a', 'é' %}{% increment é %}".to_owned()),
            Just("{{ 'é\u{3000}ü' | slice: 1, 2 | truncate: 2 }}".to_owned()),
            Just("{{ 'now' | date: '%Y-%-m-%e %H:%M %p %%' }}".to_owned()),
            Just("é".to_owned()),
            Just("{{".to_owned()),
            Just("}}".to_owned()),
            Just("{%-".to_owned()),
            Just("-%}".to_owned()),
            "[a-zé\u{3000}(). |:'\"0-9\\[\\]-]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn any_template_parses_or_errs_and_renders_within_its_caps(pieces in proptest::collection::vec(piece(), 0..40)) {
            let src: String = pieces.concat();
            let limits = Limits { time_budget: Duration::from_millis(50), ..Limits::default() };
            if let Ok(template) = parse(&src, &limits) {
                if let Ok(out) = template.render(&globals(), OffsetDateTime::UNIX_EPOCH) {
                    prop_assert!(out.len() <= limits.max_output_bytes);
                }
            }
        }
    }
}
