//! The `strata` command-line tool.

fn main() {
    println!("strata: being built");
}
