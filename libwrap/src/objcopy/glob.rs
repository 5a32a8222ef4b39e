//! Name patterns as GNU objcopy matches them: `fnmatch(3)` without flags (`*`, `?`, `[...]`
//! with ranges and `!`/`^` negation, `\` escapes), and lists of patterns where a matching
//! pattern that starts with `!` excludes the name.

/// `fnmatch(pattern, name, 0) == 0`.
pub fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let (mut star_p, mut star_n) = (None, 0);
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star_p = Some(p);
                    star_n = n;
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(pattern, p, name[n])
                        && matched
                    {
                        p = next;
                        n += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() && pattern[p + 1] == name[n] => {
                    p += 2;
                    n += 1;
                    continue;
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star_p {
            Some(sp) => {
                star_n += 1;
                n = star_n;
                p = sp + 1;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A bracket expression at `pattern[at]`: whether `c` is in it, and where it ends.
fn class(pattern: &[u8], at: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negated = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() && (first || pattern[i] != b']') {
        first = false;
        let lo = pattern[i];
        if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
            matched |= lo <= c && c <= pattern[i + 2];
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
    if i >= pattern.len() {
        return None; // no closing bracket: `[` is an ordinary character
    }
    Some((matched != negated, i + 1))
}

/// A list of names or patterns (`-R`, `-N`, `--keep-symbol` …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameList {
    /// The names or patterns, in command-line order.
    pub entries: Vec<String>,
    /// Entries are patterns (`-w` for symbols; sections are always patterns).
    pub wildcard: bool,
}

impl NameList {
    /// True when no name was given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// GNU's `is_specified_symbol` / `find_section_list`: a name matches when an entry matches
    /// it, unless a matching entry starts with `!`.
    pub fn matches(&self, name: &[u8]) -> bool {
        if !self.wildcard {
            return self.entries.iter().any(|e| e.as_bytes() == name);
        }
        let mut found = false;
        for e in &self.entries {
            let (negated, pattern) = match e.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, e.as_str()),
            };
            if fnmatch(pattern.as_bytes(), name) {
                if negated {
                    return false;
                }
                found = true;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_glibc() {
        assert!(fnmatch(b".gnu.lto_*", b".gnu.lto_.symtab.1"));
        assert!(fnmatch(b"*", b""));
        assert!(fnmatch(b"a?c", b"abc") && !fnmatch(b"a?c", b"ac"));
        assert!(fnmatch(b"[a-c]x", b"bx") && !fnmatch(b"[!a-c]x", b"bx"));
        assert!(!fnmatch(b".text", b".text.hot"));
        let l = NameList { entries: vec!["!.text.keep".into(), ".text*".into()], wildcard: true };
        assert!(l.matches(b".text.x") && !l.matches(b".text.keep"));
    }
}
