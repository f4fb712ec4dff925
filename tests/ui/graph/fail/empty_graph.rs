use graphai::graph;

fn main() {
    let _ = graph! {};
}
