fn main() {
    let p = std::env::args().nth(1).unwrap();
    let t = std::time::Instant::now();
    if p.ends_with("DIR") {
        return;
    }
    let r = patchscan::repo::rpmmd::updateinfo::read_updateinfo(std::path::Path::new(&p));
    match r {
        Ok(a) => {
            println!("{} advisories in {:?}", a.len(), t.elapsed());
            for x in a.iter().take(2) {
                println!("{x:?}");
            }
        }
        Err(e) => println!("ERR {e}"),
    }
}
