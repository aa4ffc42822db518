//! Serde's words for what it expected (`expected i64`, `expected a sequence`) said as a user
//! of a JSON baseline or a TOML manifest would: `expected a whole number`, `expected a list`.
//! The one home of that wording for every reader of users' files.

/// Serde's phrases after "expected " and the words said instead.
const WORDS: [(&str, &str); 21] = [
    ("a borrowed string", "a string"),
    ("a sequence", "a list"),
    ("a boolean", "true or false"),
    ("a character", "a single character"),
    ("a map", "an object"),
    ("i128", "a whole number"),
    ("isize", "a whole number"),
    ("i64", "a whole number"),
    ("i32", "a whole number"),
    ("i16", "a whole number"),
    ("i8", "a whole number"),
    ("u128", "a whole number of 0 or more"),
    ("usize", "a whole number of 0 or more"),
    ("u64", "a whole number of 0 or more"),
    ("u32", "a whole number of 0 or more"),
    ("u16", "a whole number of 0 or more"),
    ("u8", "a whole number of 0 or more"),
    ("f64", "a number"),
    ("f32", "a number"),
    ("char", "a single character"),
    ("struct", "an object"),
];

/// `message` with serde's Rust type names replaced by plain words.
pub fn type_words(message: &str) -> String {
    // Serde's phrase is the last "expected " that starts a word: one in a quoted value or in
    // "unexpected" comes before it.
    let Some(at) = message
        .rmatch_indices("expected ")
        .map(|(i, _)| i)
        .find(|&i| !message[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
    else {
        return message.to_string();
    };
    let (head, tail) = message.split_at(at + "expected ".len());
    for (serde, plain) in WORDS {
        if let Some(rest) = tail.strip_prefix(serde) {
            if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            // `struct PatchFilter`: the Rust type's name goes too.
            let rest = if serde == "struct" {
                rest.trim_start()
                    .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            } else {
                rest
            };
            return format!("{head}{plain}{rest}");
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::type_words;

    #[test]
    fn rust_type_names_become_words() {
        assert_eq!(
            type_words(r#"invalid type: string "7", expected i64"#),
            r#"invalid type: string "7", expected a whole number"#
        );
        assert_eq!(
            type_words("invalid type: string \"x\", expected a sequence at line 3"),
            "invalid type: string \"x\", expected a list at line 3"
        );
        assert_eq!(
            type_words("invalid type: integer `-1`, expected u32"),
            "invalid type: integer `-1`, expected a whole number of 0 or more"
        );
        assert_eq!(
            type_words("invalid type: string \"yes\", expected a boolean"),
            "invalid type: string \"yes\", expected true or false"
        );
        assert_eq!(
            type_words("invalid type: string \"x\", expected struct PatchFilter"),
            "invalid type: string \"x\", expected an object"
        );
        // The user's own text is not reworded: only serde's last phrase is.
        assert_eq!(
            type_words(r#"invalid value: string "expected i64", expected u32"#),
            r#"invalid value: string "expected i64", expected a whole number of 0 or more"#
        );
        assert_eq!(type_words("unexpected i64"), "unexpected i64");
        // What is already plain, or not serde's, is left alone.
        for kept in [
            "expected a string",
            "missing field `Name`",
            "expected one of `a`, `b`",
        ] {
            assert_eq!(type_words(kept), kept);
        }
    }
}
