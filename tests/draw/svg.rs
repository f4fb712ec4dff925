//! `to_svg` (feature `svg`): well-formed XML holding every name, the kinds
//! marked, and (measured with real fonts by `resvg`'s `usvg`) each name
//! inside its box.

use std::collections::HashMap;
use std::sync::Arc;

use graphai::EdgeKind;
use resvg::usvg;

use super::{all, unavailable};

use super::shown;

/// The XML escape of text, markup characters and quotes.
fn escaped(text: &str) -> String {
    (text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;"))
    .replace('"', "&quot;")
    .replace('\'', "&apos;")
}

fn edge_class(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Regular => "regular",
        EdgeKind::Parallel => "parallel",
        EdgeKind::RouterChoice => "router-choice",
        EdgeKind::Join => "join",
        EdgeKind::WaitingBranch { .. } => "waiting-branch",
        EdgeKind::DetachedBranch { .. } => "detached-branch",
        _ => panic!("a new edge kind: teach the drawing tests about it"),
    }
}

#[test]
fn the_svg_is_xml_holding_every_name_and_kind() {
    for (name, shape) in all() {
        let svg = shape.to_svg();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}\n{svg}"));
        assert!(doc.root_element().has_tag_name("svg"));
        let class = |n: &roxmltree::Node| n.attribute("class").unwrap_or("").to_owned();
        let groups: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("g") && class(n).split(' ').next() == Some("node"))
            .collect();
        assert_eq!(groups.len(), shape.nodes().len(), "{name}");
        for (i, node) in shape.nodes().iter().enumerate() {
            let group = groups
                .iter()
                .find(|g| g.attribute("id") == Some(&format!("node-{i}")))
                .unwrap_or_else(|| panic!("{name}: no group for {:?}", node.name));
            let title = group.children().find(|c| c.has_tag_name("title")).unwrap();
            assert_eq!(title.text(), Some(shown(&node.name).as_str()), "{name}");
            let lines: Vec<&str> = group
                .descendants()
                .filter(|c| c.has_tag_name("tspan"))
                .map(|c| c.text().unwrap_or(""))
                .collect();
            assert_eq!(lines.join("\n"), shown(&node.name), "{name}");
            for line in shown(&node.name).split('\n') {
                assert!(
                    svg.contains(&escaped(line)),
                    "{name}: {line:?} is not in the SVG"
                );
            }
            let classes = class(group);
            let has = |kind| classes.split(' ').any(|c| c == kind);
            assert_eq!(
                [has("start"), has("end"), has("router"), has("stream")],
                [node.start, node.end, node.router, node.stream],
                "{name}: {:?}",
                node.name
            );
            let diamond = group.descendants().any(|c| c.has_tag_name("polygon"));
            assert_eq!(
                diamond, node.router,
                "{name}: routers, and only they, are diamonds"
            );
        }
        let mut drawn: HashMap<String, usize> = HashMap::new();
        for g in doc.descendants().filter(|n| n.has_tag_name("g")) {
            if let Some(kind) = class(&g).strip_prefix("edge ") {
                *drawn.entry(kind.to_owned()).or_default() += 1;
            }
        }
        let mut expected: HashMap<String, usize> = HashMap::new();
        for edge in shape.edges() {
            *expected
                .entry(edge_class(edge.kind).to_owned())
                .or_default() += 1;
        }
        assert_eq!(drawn, expected, "{name}");
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| class(n) == "edge-label")
            .map(|g| {
                g.descendants()
                    .find(|c| c.has_tag_name("text"))
                    .unwrap()
                    .text()
                    .unwrap()
            })
            .collect();
        let labelled = shape.edges().iter().filter(|e| e.kind != EdgeKind::Regular);
        assert_eq!(
            labels.len(),
            labelled.count(),
            "{name}: every edge but a regular one is labelled"
        );
    }
}

#[test]
fn the_svg_of_a_graph_with_no_nodes_is_still_a_picture() {
    let svg = graphai::Graph::new().to_svg();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(doc.root_element().has_tag_name("svg"));
    assert!(!svg.contains("class=\"node"));
}

/// The system's fonts, if there are any to measure text with.
fn fonts() -> Option<Arc<usvg::fontdb::Database>> {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_system_fonts();
    (!fonts.is_empty()).then(|| Arc::new(fonts))
}

#[test]
fn every_name_fits_inside_its_box() {
    let Some(fonts) = fonts() else {
        return unavailable(
            "no system fonts to measure the names with (Debian: fonts-dejavu-core)",
        );
    };
    for (name, shape) in all() {
        let options = usvg::Options {
            fontdb: fonts.clone(),
            ..Default::default()
        };
        let tree = usvg::Tree::from_str(&shape.to_svg(), &options).unwrap();
        for (i, node) in shape.nodes().iter().enumerate() {
            let outline = tree
                .node_by_id(&format!("node-{i}-shape"))
                .unwrap_or_else(|| panic!("{name}: no shape for {:?}", node.name))
                .abs_bounding_box();
            let Some(text) = tree.node_by_id(&format!("node-{i}-name")) else {
                // usvg drops text no font can show (the test machine's fonts
                // may lack CJK or emoji); every other name must be measured.
                assert!(
                    !node.name.is_ascii(),
                    "{name}: {:?} was not drawn",
                    node.name
                );
                continue;
            };
            let text = text.abs_bounding_box();
            let inside = |x: f32, y: f32| {
                let (cx, cy) = (
                    outline.x() + outline.width() / 2.0,
                    outline.y() + outline.height() / 2.0,
                );
                let (a, b) = (outline.width() / 2.0, outline.height() / 2.0);
                if node.router {
                    (x - cx).abs() / a + (y - cy).abs() / b <= 1.0
                } else {
                    (x - cx).abs() <= a && (y - cy).abs() <= b
                }
            };
            let corners = [
                (text.left(), text.top()),
                (text.right(), text.top()),
                (text.left(), text.bottom()),
                (text.right(), text.bottom()),
            ];
            assert!(
                corners.iter().all(|&(x, y)| inside(x, y)),
                "{name}: {:?} sticks out of its box: text {text:?}, box {outline:?}",
                node.name
            );
        }
    }
}

#[test]
fn the_readme_picture_is_what_to_svg_draws_today() {
    let committed = include_str!("../../docs/quickstart.svg");
    assert!(
        committed == super::quickstart().to_svg(),
        "docs/quickstart.svg is out of date: run `cargo run --example draw --features svg` \
         and copy target/draw/quickstart.svg and quickstart.png to docs/"
    );
}
