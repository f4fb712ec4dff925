//! [`GraphShape::to_svg`]: a picture, laid out by `layout-rs`, drawn here.
//!
//! `layout-rs` ranks the nodes in layers, orders each layer to cut crossings,
//! and routes the edges (each label gets a place of its own between layers).
//! It then draws through a [`RenderBackend`]; ours does not write the calls
//! out as they come but records where each node, edge and label went, and
//! then writes the SVG itself ([`paint`]): routers as diamonds, end nodes with
//! a double border, streaming nodes dashed, each edge kind in its own colour,
//! dash and head, and a legend of the kinds the graph uses ([`legend`]).

mod legend;
mod paint;

use std::cell::Cell;
use std::fmt::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::look;
use crate::shape::GraphShape;
use legend::Legend;
use paint::{edge_stroke, kind_class, marker_id, markers, node_classes, node_outline, node_size};
use paint::{text_lines, text_size, xml};

const FONT: &str = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
/// Node names, in px.
const NODE_FONT: f64 = 14.0;
/// Edge labels and the legend, in px.
const LABEL_FONT: usize = 11;
const MARGIN: f64 = 16.0;

pub(super) fn write(shape: &GraphShape) -> String {
    let canvas = if shape.nodes().is_empty() {
        Canvas::default()
    } else {
        // `layout-rs` 0.1.3 trips on one of its own assertions when it
        // straightens two neighbouring edges of some dense graphs (parallel
        // edges between the same nodes, loops); its plain placement (no
        // straightening) has not failed on any of thousands of random
        // shapes, so it is the fallback.
        quietly(|| lay_out(shape, true))
            .or_else(|| quietly(|| lay_out(shape, false)))
            .unwrap_or_default()
    };
    canvas.finish(shape)
}

/// Lays `shape` out and records where everything went; `refine` runs the
/// layout's straightening passes.
fn lay_out(shape: &GraphShape, refine: bool) -> Canvas {
    let mut graph = VisualGraph::new(Orientation::TopToBottom);
    // Its checks are quadratic per edge; the graph is a DAG by construction.
    graph.dag.set_validate(false);
    let handles: Vec<_> = (shape.nodes().iter().enumerate())
        .map(|(i, node)| {
            let look = StyleAttr::new(Color::fast("black"), 1, None, 0, LABEL_FONT);
            let (w, h) = node_size(node);
            let element = Element::create_with_properties(
                ShapeKind::new_box(""),
                look,
                Orientation::TopToBottom,
                Point::new(w, h),
                i.to_string(),
            );
            graph.add_node(element)
        })
        .collect();
    for (k, edge) in shape.edges().iter().enumerate() {
        let (Some(from), Some(to)) = (shape.index_of(&edge.from), shape.index_of(&edge.to)) else {
            continue;
        };
        let look = StyleAttr::new(Color::fast("black"), 1, None, 0, LABEL_FONT);
        let arrow = Arrow::with_properties(
            LineEndKind::None,
            LineEndKind::Arrow,
            LineStyleKind::Normal,
            look::label(edge.kind).unwrap_or(""),
            &look,
            k.to_string(),
            &None,
            &None,
        );
        graph.add_edge(arrow, handles[from], handles[to]);
    }
    let mut canvas = Canvas::default();
    graph.do_it(false, false, !refine, &mut canvas);
    canvas
}

thread_local! {
    /// Set while [`quietly`] runs: a panic then is caught, not reported.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `None` without the panic hook printing it.
/// The hook this installs (once) hands every other panic to the hook that
/// was there before.
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(was));
    result.ok()
}

/// Where one node, edge or label went.
struct Placed<T> {
    what: T,
    at: Point,
    size: Point,
}

/// Where an edge went.
struct Route {
    /// The edge's index in the shape.
    edge: usize,
    /// The layout's pairs: (start, its control), then (control, point).
    path: Vec<(Point, Point)>,
    /// Whether the (start, end) carries a head (the layout turns edges
    /// around to break cycles).
    heads: (bool, bool),
}

/// Records the draw calls of the layout.
#[derive(Default)]
struct Canvas {
    /// Node boxes, by node index: top-left and size.
    nodes: Vec<Placed<usize>>,
    /// Edge paths.
    edges: Vec<Route>,
    /// Edge labels: text, colour, centre.
    labels: Vec<Placed<String>>,
}

impl RenderBackend for Canvas {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        if let Some(node) = properties.and_then(|p| p.parse().ok()) {
            self.nodes.push(Placed {
                what: node,
                at: xy,
                size,
            });
        }
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, xy: Point, text: &str, _look: &StyleAttr) {
        // Node boxes are given no text (the names are written from the
        // shape), so any text is an edge label.
        if !text.is_empty() {
            let (w, h) = text_size(text, LABEL_FONT as f64);
            self.labels.push(Placed {
                what: text.to_owned(),
                at: xy,
                size: Point::new(w + 6.0, h + 2.0),
            });
        }
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        head: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        _text: &str,
    ) {
        if let Some(edge) = properties.and_then(|p| p.parse().ok()) {
            self.edges.push(Route {
                edge,
                path: path.to_vec(),
                heads: head,
            });
        }
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

impl Canvas {
    fn finish(mut self, shape: &GraphShape) -> String {
        self.clip_to_diamonds(shape);
        let (min, max) = self.bounds();
        let legend = Legend::of(shape);
        let width = (max.x - min.x).max(legend.width) + 2.0 * MARGIN;
        let graph_height = if shape.nodes().is_empty() {
            0.0
        } else {
            max.y - min.y
        };
        let height = graph_height + legend.height + 2.0 * MARGIN;
        let shift = Point::new(MARGIN - min.x, MARGIN - min.y);
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="{FONT}">"#,
            w = width.ceil(),
            h = height.ceil()
        );
        svg.push_str(&markers());
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        self.write_edges(&mut svg, shape, shift);
        self.write_labels(&mut svg, shift);
        self.write_nodes(&mut svg, shape, shift);
        legend.write(&mut svg, MARGIN, MARGIN + graph_height);
        svg.push_str("</svg>\n");
        svg
    }

    /// Moves edge ends that touch a router's box onto its diamond.
    fn clip_to_diamonds(&mut self, shape: &GraphShape) {
        let diamonds: Vec<(Point, Point)> = (self.nodes.iter())
            .filter(|n| shape.nodes()[n.what].router)
            .map(|n| (n.at, n.size))
            .collect();
        for Route { path, .. } in &mut self.edges {
            // The first pair is (start, its control), the others (control, point).
            let last = path.len() - 1;
            for (end, point, control) in [
                (0, path[0].0, path[0].1),
                (last, path[last].1, path[last].0),
            ] {
                let Some(&(at, size)) =
                    diamonds.iter().find(|(at, size)| on_box(point, *at, *size))
                else {
                    continue;
                };
                let moved = onto_diamond(point, at, size);
                let control = control.add(moved.sub(point));
                path[end] = if end == 0 {
                    (moved, control)
                } else {
                    (control, moved)
                };
            }
        }
    }

    fn bounds(&self) -> (Point, Point) {
        let mut min = Point::new(f64::MAX, f64::MAX);
        let mut max = Point::new(f64::MIN, f64::MIN);
        let mut grow = |p: Point| {
            min = Point::new(min.x.min(p.x), min.y.min(p.y));
            max = Point::new(max.x.max(p.x), max.y.max(p.y));
        };
        for node in &self.nodes {
            grow(node.at);
            grow(node.at.add(node.size));
        }
        for label in &self.labels {
            grow(label.at.sub(label.size.scale(0.5)));
            grow(label.at.add(label.size.scale(0.5)));
        }
        for Route { path, .. } in &self.edges {
            for (point, control) in path {
                grow(*point);
                grow(*control);
            }
        }
        if min.x > max.x {
            return (Point::zero(), Point::zero());
        }
        (min, max)
    }

    fn write_edges(&self, svg: &mut String, shape: &GraphShape, shift: Point) {
        for Route { edge, path, heads } in &self.edges {
            let edge = &shape.edges()[*edge];
            let kind = edge.kind;
            let mut d = String::new();
            let p = |point: Point| point.add(shift);
            let (p0, c0) = (p(path[0].0), p(path[0].1));
            let _ = write!(d, "M {:.1} {:.1}", p0.x, p0.y);
            // The first pair is (start, its control), the others (control, point).
            if let Some(&(control, point)) = path.get(1) {
                let (p1, c1) = (p(point), p(control));
                let _ = write!(
                    d,
                    " C {:.1} {:.1}, {:.1} {:.1}, {:.1} {:.1}",
                    c0.x, c0.y, c1.x, c1.y, p1.x, p1.y
                );
            }
            for &(control, point) in path.iter().skip(2) {
                let (pn, cn) = (p(point), p(control));
                let _ = write!(d, " S {:.1} {:.1}, {:.1} {:.1}", cn.x, cn.y, pn.x, pn.y);
            }
            let marker = marker_id(kind);
            let mut markers = String::new();
            if heads.1 {
                let _ = write!(markers, r#" marker-end="url(#{marker})""#);
            }
            if heads.0 {
                let _ = write!(markers, r#" marker-start="url(#{marker}-start)""#);
            }
            let _ = writeln!(
                svg,
                r#"<g class="edge {class}"><title>{from} → {to}</title><path d="{d}" fill="none" stroke="{color}" {stroke}{markers}/></g>"#,
                class = kind_class(kind),
                from = xml(&edge.from),
                to = xml(&edge.to),
                color = look::color(kind),
                stroke = edge_stroke(kind),
            );
        }
    }

    fn write_labels(&self, svg: &mut String, shift: Point) {
        for label in &self.labels {
            let at = label.at.add(shift);
            let color = (look::EDGE_KINDS.iter())
                .find(|kind| look::label(**kind) == Some(label.what.as_str()))
                .map_or(look::INK, |kind| look::color(*kind));
            let _ = writeln!(
                svg,
                r#"<g class="edge-label"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="3" fill="white" fill-opacity="0.9"/><text x="{:.1}" y="{:.1}" font-size="{LABEL_FONT}" text-anchor="middle" fill="{color}">{}</text></g>"#,
                at.x - label.size.x / 2.0,
                at.y - label.size.y / 2.0,
                label.size.x,
                label.size.y,
                at.x,
                at.y + 0.35 * LABEL_FONT as f64,
                xml(&label.what),
            );
        }
    }

    fn write_nodes(&self, svg: &mut String, shape: &GraphShape, shift: Point) {
        for placed in &self.nodes {
            let node = &shape.nodes()[placed.what];
            let at = placed.at.add(shift);
            let i = placed.what;
            let _ = write!(
                svg,
                r#"<g class="node{}" id="node-{i}">"#,
                node_classes(node)
            );
            let _ = write!(svg, "<title>{}</title>", xml(&node.name));
            let outline = node_outline(node, at, placed.size);
            let _ = write!(svg, r#"<g id="node-{i}-shape">{outline}</g>"#);
            let center = at.add(placed.size.scale(0.5));
            let id = format!("node-{i}-name");
            svg.push_str(&text_lines(&node.name, center, NODE_FONT, &id));
            svg.push_str("</g>\n");
        }
    }
}

/// Whether `point` lies on (or in) the box at `at` of `size`.
fn on_box(point: Point, at: Point, size: Point) -> bool {
    let e = 1.0;
    point.x >= at.x - e
        && point.x <= at.x + size.x + e
        && point.y >= at.y - e
        && point.y <= at.y + size.y + e
}

/// The point where the line from `point` to the box's centre meets the
/// diamond inscribed in the box.
fn onto_diamond(point: Point, at: Point, size: Point) -> Point {
    let center = at.add(size.scale(0.5));
    let (a, b) = (size.x / 2.0, size.y / 2.0);
    let offset = point.sub(center);
    let reach = offset.x.abs() / a + offset.y.abs() / b;
    if reach <= 1.0 {
        return point;
    }
    center.add(offset.scale(1.0 / reach))
}

#[cfg(test)]
mod tests {
    use crate::shape::GraphShape;
    use serde_json::json;

    /// A small deterministic generator, so a failure names its seed.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    #[test]
    fn lays_out_any_shape_without_panicking() {
        let kinds = [
            json!("regular"),
            json!("router_choice"),
            json!("parallel"),
            json!("join"),
            json!({ "waiting_branch": { "conditional": true } }),
            json!({ "detached_branch": { "conditional": false } }),
        ];
        for seed in 0..300 {
            let mut rng = Lcg(seed);
            let count = 1 + rng.below(9);
            let nodes: Vec<_> = (0..count)
                .map(|i| {
                    json!({ "name": format!("node {i}"), "start": i == 0, "end": rng.below(3) == 0,
                        "router": rng.below(4) == 0, "stream": rng.below(5) == 0 })
                })
                .collect();
            let edges: Vec<_> = (0..rng.below(3 * count + 1))
                .map(|_| {
                    json!({ "from": format!("node {}", rng.below(count)),
                        "to": format!("node {}", rng.below(count)),
                        "kind": kinds[rng.below(kinds.len())] })
                })
                .collect();
            let shape: GraphShape =
                serde_json::from_value(json!({ "nodes": nodes, "edges": edges })).unwrap();
            let svg = shape.to_svg();
            assert_eq!(svg.matches("<g class=\"node").count(), count, "seed {seed}");
            assert_eq!(
                svg.matches("<g class=\"edge ").count(),
                shape.edges().len(),
                "seed {seed}"
            );
        }
    }
}
