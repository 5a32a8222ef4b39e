//! GCC's LTO plugin for final links of GCC `-flto` objects (tl-ld's policy): the arguments the
//! gcc driver gives its linker (`-plugin liblto_plugin.so -plugin-opt=lto-wrapper
//! -plugin-opt=-fresolution=FILE`), and the environment lto-wrapper needs to find the compiler
//! (`COLLECT_GCC`, `COLLECT_GCC_OPTIONS`), unless the user set it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The gcc that wrote the objects: `$TL_GCC`, else `gcc`.
fn gcc() -> OsString {
    std::env::var_os("TL_GCC").unwrap_or_else(|| "gcc".into())
}

/// GCC's lto-wrapper (`gcc -print-prog-name=lto-wrapper`), beside which its plugin is.
fn lto_wrapper() -> Result<PathBuf, String> {
    let out = std::process::Command::new(gcc())
        .arg("-print-prog-name=lto-wrapper")
        .output()
        .map_err(|e| format!("GCC LTO objects need gcc's LTO plugin, and gcc cannot be run: {e}"))?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if path.is_absolute() && path.is_file() {
        Ok(path)
    } else {
        Err("GCC LTO objects need gcc's LTO plugin: gcc does not name its lto-wrapper (set TL_GCC to the gcc that compiled them)".into())
    }
}

/// The plugin arguments to put first, and the environment variables to add.
pub type PluginSetup = (Vec<OsString>, Vec<(&'static str, OsString)>);

/// What a link of GCC LTO objects needs (see the module documentation).
pub fn arguments(temp: &Path) -> Result<PluginSetup, String> {
    let wrapper = lto_wrapper()?;
    let plugin = wrapper.with_file_name("liblto_plugin.so");
    if !plugin.is_file() {
        return Err(format!("GCC LTO objects need gcc's LTO plugin: {} does not exist", plugin.display()));
    }
    let resolution = temp.join("gcc-lto.res");
    let args = vec![
        OsString::from("-plugin"),
        plugin.into_os_string(),
        format!("-plugin-opt={}", wrapper.display()).into(),
        format!("-plugin-opt=-fresolution={}", resolution.display()).into(),
    ];
    let mut env = Vec::new();
    if std::env::var_os("COLLECT_GCC").is_none() {
        env.push(("COLLECT_GCC", gcc()));
    }
    if std::env::var_os("COLLECT_GCC_OPTIONS").is_none() {
        env.push(("COLLECT_GCC_OPTIONS", "'-flto'".into()));
    }
    Ok((args, env))
}
