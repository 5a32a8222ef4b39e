/// mimalloc, for tl-ld only: a partial link of many bitcode objects parses them on every core
/// and allocates many small blocks; with glibc's allocator it took 1.15-1.3 times as long. Built
/// without transparent huge pages, which doubled its peak memory. The other tools are
/// single-threaded and keep the system allocator (less memory).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(tl_tools::ld::main())
}
