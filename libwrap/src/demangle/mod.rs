//! Symbol demangling as GNU nm does it (`bfd_demangle` + libiberty's `cplus_demangle` with
//! `DMGL_PARAMS | DMGL_ANSI`, no `DMGL_VERBOSE`).
//!
//! `bfd_demangle`: skip the target's leading character, set aside leading `.`/`$` and anything
//! from the first `@`, demangle the rest, put prefix and suffix back. `cplus_demangle` in auto
//! style tries Rust first (legacy `_ZN…17h<hash>E`, printed without the hash; v0 `_R…`, printed
//! without crate disambiguators), then the Itanium C++ ABI.

pub mod itanium;

/// libiberty's test for a legacy Rust symbol's last path component: `h` and 16 lower-case hex
/// digits, at least 5 of them distinct (so an ordinary C++ name is not taken for Rust).
fn is_legacy_rust_hash(name: &str) -> bool {
    // _ZN ... 17h<16 hex>E
    let Some(body) = name.strip_suffix('E') else { return false };
    if body.len() < 20 {
        return false;
    }
    let (head, hash) = body.split_at(body.len() - 17);
    if !head.ends_with("17") || !hash.starts_with('h') {
        return false;
    }
    let mut seen = 0u16;
    for c in hash[1..].chars() {
        match c.to_digit(16) {
            Some(d) if !c.is_ascii_uppercase() => seen |= 1 << d,
            _ => return false,
        }
    }
    seen.count_ones() >= 5
}

/// libiberty demangling styles tl implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// Rust, then C++ (the default).
    #[default]
    Auto,
    /// C++ only.
    GnuV3,
    /// Rust only.
    Rust,
}

/// Demangles one name the way `cplus_demangle` (auto style, `DMGL_PARAMS | DMGL_ANSI`) does;
/// `None` if it is not a mangled name.
pub fn cplus_demangle(name: &str) -> Option<String> {
    cplus_demangle_style(name, Style::Auto)
}

/// [`cplus_demangle`] with a style.
pub fn cplus_demangle_style(name: &str, style: Style) -> Option<String> {
    let rust = (name.starts_with("_ZN") && is_legacy_rust_hash(name)) || name.starts_with("_R");
    if style == Style::Rust && !rust {
        return None;
    }
    if rust && style != Style::GnuV3 {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            // `{:#}` drops the legacy hash and v0 disambiguators, as libiberty does without
            // DMGL_VERBOSE.
            return Some(format!("{d:#}"));
        }
        if style == Style::Rust {
            return None;
        }
    }
    itanium::demangle(name, itanium::Options { params: true, ..itanium::Options::default() })
}

/// `bfd_demangle`: `leading_char` is the target's symbol prefix (none on ELF).
pub fn bfd_demangle(name: &[u8], leading_char: Option<u8>) -> Option<Vec<u8>> {
    bfd_demangle_style(name, leading_char, Style::Auto)
}

/// [`bfd_demangle`] with a style.
pub fn bfd_demangle_style(name: &[u8], leading_char: Option<u8>, style: Style) -> Option<Vec<u8>> {
    let name = std::str::from_utf8(name).ok()?;
    let skip_lead = !name.is_empty() && leading_char.is_some_and(|c| name.as_bytes()[0] == c);
    let body = if skip_lead { &name[1..] } else { name };
    let pre_len = body.bytes().take_while(|&b| b == b'.' || b == b'$').count();
    let (pre, rest) = body.split_at(pre_len);
    let (core, suf) = match rest.find('@') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    match cplus_demangle_style(core, style) {
        Some(d) => Some(format!("{pre}{d}{suf}").into_bytes()),
        None if skip_lead => Some(body.as_bytes().to_vec()),
        None => None,
    }
}
