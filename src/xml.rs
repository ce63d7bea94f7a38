//! What both sides of XML need: bodies Phonebox reads (Twilio TwiML, Esendex) and
//! answers it reads back (SNS).

/// The text an XML reference stands for: a predefined entity (`&amp;`) or a character
/// (`&#233;`). Other entities cannot be defined in these bodies and read as nothing.
pub(crate) fn xml_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    Ok(match name.as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_owned())
}
