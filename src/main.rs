fn main() {
    std::process::exit(patchscan::cli::run());
}
