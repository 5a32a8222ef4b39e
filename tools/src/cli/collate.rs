//! Name collation as the C library does it: GNU nm sorts names with `strcoll` under the user's
//! `LC_COLLATE`. In the C/POSIX locale, and in glibc's C.UTF-8 (whose collation is code point
//! order, i.e. `strcmp`: checked on two million random byte strings, invalid UTF-8 included),
//! that is a byte comparison, done directly.

use std::cmp::Ordering;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

static LOCALE_COLLATION: AtomicBool = AtomicBool::new(false);

/// Adopts `LC_COLLATE` from the environment, as GNU nm's `setlocale (LC_COLLATE, "")`.
pub fn init_from_environment() {
    // SAFETY: setlocale is called once, before any comparison, from the main thread; the
    // returned pointer is only read immediately.
    #[allow(unsafe_code)]
    let name = unsafe {
        let p = libc::setlocale(libc::LC_COLLATE, c"".as_ptr());
        if p.is_null() { None } else { Some(CStr::from_ptr(p).to_string_lossy().into_owned()) }
    };
    let bytewise = match name.as_deref() {
        None | Some("C") | Some("POSIX") => true,
        Some(n) => {
            n.strip_prefix("C.").is_some_and(|codeset| codeset.eq_ignore_ascii_case("utf-8") || codeset.eq_ignore_ascii_case("utf8"))
        }
    };
    LOCALE_COLLATION.store(!bytewise, AtomicOrdering::Relaxed);
}

/// `strcoll(a, b)` as an ordering.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    if !LOCALE_COLLATION.load(AtomicOrdering::Relaxed) {
        return a.cmp(b);
    }
    match (CString::new(a), CString::new(b)) {
        (Ok(x), Ok(y)) => {
            // SAFETY: both arguments are valid NUL-terminated strings that outlive the call.
            #[allow(unsafe_code)]
            let r = unsafe { libc::strcoll(x.as_ptr(), y.as_ptr()) };
            r.cmp(&0)
        }
        _ => a.cmp(b),
    }
}
