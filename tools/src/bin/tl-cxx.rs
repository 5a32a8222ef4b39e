fn main() {
    std::process::exit(tl_tools::cc::main_cxx())
}
