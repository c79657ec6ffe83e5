//! From the generated C header, two more files for loaders (part of the `generate-header`
//! build): `include/ftpc.json`, a description machines can read (every function with its
//! parameters, their types and directions, and who owns what a function returns; the
//! constants; the types and callback types), and `include/ftpc_cdef.h`, the header reduced to
//! what cffi's `cdef` and koffi's prototype parser accept (no preprocessor but integer
//! `#define`s, no comments).

/// One item of the header with the doc comment above it.
struct Item {
    doc: String,
    text: String,
}

/// Splits the header into documented items: `#define`s, typedefs and prototypes.
fn items(header: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut doc = String::new();
    let mut in_doc = false;
    let mut pending = String::new();
    for line in header.lines() {
        let trimmed = line.trim();
        if in_doc {
            if trimmed.starts_with("*/") {
                in_doc = false;
            } else {
                let text = trimmed.trim_start_matches('*').trim();
                if !doc.is_empty() {
                    doc.push(' ');
                }
                doc.push_str(text);
            }
            continue;
        }
        if trimmed.starts_with("/*") {
            // Every comment is skipped; the last `/**` one documents the next item.
            doc.clear();
            if !trimmed.ends_with("*/") {
                in_doc = true;
            }
            continue;
        }
        if !pending.is_empty() {
            pending.push(' ');
            pending.push_str(trimmed);
            if trimmed.ends_with(';') {
                out.push(Item {
                    doc: std::mem::take(&mut doc),
                    text: std::mem::take(&mut pending),
                });
            }
            continue;
        }
        let starts_item = trimmed.starts_with("#define FTP_")
            || trimmed.starts_with("typedef ")
            || (trimmed.contains("ftp_") && trimmed.contains('(') && !trimmed.starts_with('#'));
        if !starts_item {
            continue;
        }
        if trimmed.starts_with("#define") || trimmed.ends_with(';') {
            out.push(Item {
                doc: std::mem::take(&mut doc),
                text: trimmed.to_string(),
            });
        } else {
            pending = trimmed.to_string();
        }
    }
    out
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `ftp_x *out` -> ("ftp_x *", "out").
fn split_param(param: &str) -> (String, String) {
    let param = squeeze(param);
    let cut = param.rfind([' ', '*']).map_or(0, |i| i + 1);
    (param[..cut].trim().to_string(), param[cut..].to_string())
}

/// Who owns what a function returns through a pointer, read from its documentation's fixed
/// words ("Caller owns ...; free with X", "Owned by", "Borrowed", "Static").
fn ownership(doc: &str) -> String {
    if let Some(at) = doc.find("free with `") {
        let rest = &doc[at + "free with `".len()..];
        let free = rest.split('`').next().unwrap_or("");
        return format!("caller, free with {free}");
    }
    if doc.contains("Owned by") || doc.contains("owned by") {
        return "library (see doc)".into();
    }
    if doc.contains("Borrowed") || doc.contains("borrowed from") {
        return "borrowed (see doc)".into();
    }
    if doc.contains("Static") || doc.contains("static") {
        return "static".into();
    }
    "see doc".into()
}

fn function_json(doc: &str, proto: &str) -> Option<String> {
    let proto = squeeze(proto.trim_end_matches(';'));
    let open = proto.find('(')?;
    let close = proto.rfind(')')?;
    let (ret_and_name, params) = (&proto[..open], &proto[open + 1..close]);
    let (ret, name) = split_param(ret_and_name);
    let mut params_json = Vec::new();
    if params.trim() != "void" && !params.trim().is_empty() {
        for param in params.split(',') {
            let (ty, pname) = split_param(param);
            let out = ty.ends_with("**") || (pname.starts_with("out") && ty.ends_with('*'));
            let direction = if out { "out" } else { "in" };
            params_json.push(format!(
                "{{\"name\": {}, \"type\": {}, \"direction\": \"{direction}\"}}",
                json_string(&pname),
                json_string(&ty)
            ));
        }
    }
    let returns_pointer = ret.ends_with('*');
    let owner = if returns_pointer || params_json.iter().any(|p| p.contains("\"out\"")) {
        format!(", \"ownership\": {}", json_string(&ownership(doc)))
    } else {
        String::new()
    };
    Some(format!(
        "    {{\"name\": {}, \"returns\": {}, \"params\": [{}]{owner}, \"prototype\": {}, \"doc\": {}}}",
        json_string(&name),
        json_string(&ret),
        params_json.join(", "),
        json_string(&format!("{proto};")),
        json_string(doc)
    ))
}

/// (ftpc.json, ftpc_cdef.h) for `header`, the generated ftpc.h.
pub fn describe(header: &str, version: &str) -> (String, String) {
    let mut constants = Vec::new();
    let mut types = Vec::new();
    let mut functions = Vec::new();
    let mut cdef = String::from(
        "/* ftpc.h reduced for cffi's cdef and koffi: generated with ftpc.h; do not edit. */\n",
    );
    for item in items(header) {
        let text = squeeze(&item.text);
        if let Some(rest) = text.strip_prefix("#define ") {
            let mut parts = rest.splitn(2, ' ');
            let (name, value) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if let Ok(number) = value.trim().parse::<i64>() {
                constants.push(format!(
                    "    {{\"name\": {}, \"value\": {number}, \"doc\": {}}}",
                    json_string(name),
                    json_string(&item.doc)
                ));
                cdef.push_str(&format!("#define {name} {number}\n"));
            }
        } else if text.starts_with("typedef ") {
            let kind = if text.contains("(*") {
                "callback"
            } else if text.starts_with("typedef struct") {
                "opaque"
            } else {
                "alias"
            };
            types.push(format!(
                "    {{\"kind\": \"{kind}\", \"c\": {}, \"doc\": {}}}",
                json_string(&text),
                json_string(&item.doc)
            ));
            cdef.push_str(&text);
            cdef.push('\n');
        } else if let Some(function) = function_json(&item.doc, &text) {
            functions.push(function);
            cdef.push_str(&text);
            cdef.push('\n');
        }
    }
    let json = format!(
        "{{\n  \"library\": \"ftpc\",\n  \"version\": {},\n  \"soname\": \"libftpc.so.0\",\n  \
         \"conventions\": \"ftp_result is int32_t: FTP_OK 0, FTP_DONE 1, negative FTP_ERR_*. \
         Out-parameters are written only on success. Strings returned through out-parameters \
         are freed with ftp_string_free. NULL for an optional string means absent.\",\n  \
         \"constants\": [\n{}\n  ],\n  \"types\": [\n{}\n  ],\n  \"functions\": [\n{}\n  ]\n}}\n",
        json_string(version),
        constants.join(",\n"),
        types.join(",\n"),
        functions.join(",\n")
    );
    (json, cdef)
}
