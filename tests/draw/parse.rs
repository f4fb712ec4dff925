//! Parsers for the Mermaid and DOT that graphai writes, and readers for what
//! Mermaid and Graphviz made of it. Each gives the graph back as [`Facts`].
//! They accept exactly the subset graphai writes: any other line fails the
//! test, so "nothing else" is checked too.

use std::collections::HashMap;

use graphai::EdgeKind;

/// Node flags: `[start, end, router, stream]`.
pub type Flags = [bool; 4];

/// A graph as multisets of nodes (name, flags) and edges (from, to, kind).
#[derive(Debug, PartialEq, Eq)]
pub struct Facts {
    nodes: Vec<(String, Flags)>,
    edges: Vec<(String, String, EdgeKind)>,
}

impl Facts {
    pub fn new(
        mut nodes: Vec<(String, Flags)>,
        mut edges: Vec<(String, String, EdgeKind)>,
    ) -> Self {
        nodes.sort();
        edges.sort();
        Self { nodes, edges }
    }

    /// From nodes by id and edges between ids.
    fn by_id(nodes: Vec<(String, String, Flags)>, edges: Vec<(String, String, EdgeKind)>) -> Self {
        let name: HashMap<String, String> = nodes
            .iter()
            .map(|(id, name, _)| (id.clone(), name.clone()))
            .collect();
        assert_eq!(name.len(), nodes.len(), "node ids repeat: {nodes:?}");
        let edges = edges
            .into_iter()
            .map(|(from, to, kind)| {
                let find = |id: &str| {
                    name.get(id)
                        .unwrap_or_else(|| panic!("edge to stray node {id}"))
                        .clone()
                };
                (find(&from), find(&to), kind)
            })
            .collect();
        Self::new(
            nodes
                .into_iter()
                .map(|(_, name, flags)| (name, flags))
                .collect(),
            edges,
        )
    }
}

/// The edge kind an edge label names (none: regular), as graphai labels them.
fn kind_of_label(label: Option<&str>) -> EdgeKind {
    match label {
        None => EdgeKind::Regular,
        Some("parallel") => EdgeKind::Parallel,
        Some("choice") => EdgeKind::RouterChoice,
        Some("join") => EdgeKind::Join,
        Some("branch") => EdgeKind::WaitingBranch { conditional: false },
        Some("branch (if)") => EdgeKind::WaitingBranch { conditional: true },
        Some("detached") => EdgeKind::DetachedBranch { conditional: false },
        Some("detached (if)") => EdgeKind::DetachedBranch { conditional: true },
        Some(other) => panic!("unknown edge label {other:?}"),
    }
}

/// The line style each kind must be drawn with, as (Mermaid arrow, DOT style).
fn style_of(kind: EdgeKind) -> (&'static str, Option<&'static str>) {
    match kind {
        EdgeKind::Regular | EdgeKind::Parallel => ("-->", None),
        EdgeKind::RouterChoice => ("-.->", Some("dashed")),
        EdgeKind::Join => ("==>", Some("bold")),
        EdgeKind::WaitingBranch { .. } => ("-.->", Some("dotted")),
        EdgeKind::DetachedBranch { .. } => ("-.-o", Some("dotted")),
        _ => panic!("a new edge kind: teach the drawing tests about it"),
    }
}

/// Parses `flowchart TD` text as `to_mermaid` writes it.
pub fn mermaid(text: &str) -> Facts {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart TD"));
    let mut nodes: Vec<(String, String, Flags)> = Vec::new();
    let mut edges = Vec::new();
    let mut shapes = Vec::new();
    for line in lines {
        let line = line
            .strip_prefix("    ")
            .unwrap_or_else(|| panic!("not indented: {line:?}"));
        if line.starts_with("classDef ") || line.starts_with("linkStyle ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("class ") {
            let (ids, class) = rest.split_once(' ').unwrap();
            let flag = ["startNode", "endNode", "routerNode", "streamNode"]
                .iter()
                .position(|c| *c == class)
                .unwrap_or_else(|| panic!("unknown class {class}"));
            for id in ids.split(',') {
                let node = nodes
                    .iter_mut()
                    .find(|n| n.0 == id)
                    .expect("class of a known node");
                node.2[flag] = true;
            }
            continue;
        }
        let id: String = line
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let rest = &line[id.len()..];
        if let Some(rest) = rest.strip_prefix(' ') {
            let (arrow, rest) = rest.split_at(rest.find(['|', ' ']).unwrap());
            let (label, to) = match rest.strip_prefix("|\"") {
                Some(labelled) => {
                    let (label, to) = labelled.split_once("\"| ").unwrap();
                    (Some(label), to)
                }
                None => (None, rest.strip_prefix(' ').unwrap()),
            };
            let kind = kind_of_label(label);
            assert_eq!(style_of(kind).0, arrow, "{line}");
            edges.push((id, to.to_owned(), kind));
            continue;
        }
        let (shape, label) = [("([\"", "\"])"), ("{\"", "\"}"), ("[\"", "\"]")]
            .into_iter()
            .find_map(|(open, close)| {
                let label = rest.strip_prefix(open)?.strip_suffix(close)?;
                Some((open, label))
            })
            .unwrap_or_else(|| panic!("not a node, edge or class line: {line:?}"));
        assert!(!label.contains('"'), "a raw quote in {line:?}");
        nodes.push((id, mermaid_label(label), [false; 4]));
        shapes.push(shape);
    }
    for ((_, name, [start, end, router, _]), shape) in nodes.iter().zip(shapes) {
        let expected = match (*router, *start || *end) {
            (true, _) => "{\"",
            (false, true) => "([\"",
            (false, false) => "[\"",
        };
        assert_eq!(shape, expected, "the shape of {name:?}");
    }
    Facts::by_id(nodes, edges)
}

/// Undoes Mermaid's entity codes (`#quot;`, `#35;`) and `<br>`; anything else
/// that Mermaid would read as markup must not be there.
fn mermaid_label(label: &str) -> String {
    let mut out = String::new();
    let mut rest = label;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("<br>") {
            out.push('\n');
            rest = after;
        } else if c == '#' {
            let (code, after) = rest[1..]
                .split_once(';')
                .expect("an entity code ends with `;`");
            out.push(match code {
                "quot" => '"',
                number => char::from_u32(number.parse().expect("a numeric code")).unwrap(),
            });
            rest = after;
        } else {
            assert!(!"<>&%:`".contains(c), "unescaped {c:?} in {label:?}");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// What Mermaid's parser read (`tests/mermaid/check.mjs`'s JSON for a file).
pub fn mermaid_db(result: &serde_json::Value) -> Facts {
    let nodes = result["vertices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let classes: Vec<&str> = v["classes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            let router = v["shape"] == "diamond";
            assert_eq!(router, classes.contains(&"routerNode"), "{v}");
            let flags = [
                classes.contains(&"startNode"),
                classes.contains(&"endNode"),
                router,
                classes.contains(&"streamNode"),
            ];
            (
                v["id"].as_str().unwrap().to_owned(),
                v["text"].as_str().unwrap().to_owned(),
                flags,
            )
        })
        .collect();
    let edges = result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = e["text"].as_str().unwrap();
            let kind = kind_of_label((!text.is_empty()).then_some(text));
            let drawn = (e["stroke"].as_str().unwrap(), e["head"].as_str().unwrap());
            let expected = match style_of(kind).0 {
                "-->" => ("normal", "arrow_point"),
                "-.->" => ("dotted", "arrow_point"),
                "==>" => ("thick", "arrow_point"),
                _ => ("dotted", "arrow_circle"),
            };
            assert_eq!(drawn, expected, "{e}");
            let id = |key: &str| e[key].as_str().unwrap().to_owned();
            (id("start"), id("end"), kind)
        })
        .collect();
    Facts::by_id(nodes, edges)
}

/// DOT's tokens: quoted strings (still escaped), bare words, punctuation.
#[derive(Debug, PartialEq)]
enum Token {
    Quoted(String),
    Word(String),
    Punct(&'static str),
}

fn dot_tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '"' => {
                let mut raw = String::new();
                loop {
                    match chars.next().expect("an unterminated string").1 {
                        '"' => break,
                        '\\' => {
                            raw.push('\\');
                            raw.push(chars.next().unwrap().1);
                        }
                        c => raw.push(c),
                    }
                }
                tokens.push(Token::Quoted(raw));
            }
            '-' if text[at..].starts_with("->") => {
                chars.next();
                tokens.push(Token::Punct("->"));
            }
            '[' | ']' | '{' | '}' | '=' | ',' | ';' => {
                let punct = ["[", "]", "{", "}", "=", ",", ";"];
                tokens.push(Token::Punct(
                    punct.into_iter().find(|p| p.starts_with(c)).unwrap(),
                ));
            }
            c if c.is_ascii_alphanumeric() || c == '.' => {
                let mut word = String::from(c);
                while let Some(&(_, next)) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '.') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            other => panic!("unexpected {other:?} in DOT"),
        }
    }
    tokens
}

/// Parses a `digraph` as `to_dot` writes it.
pub fn dot(text: &str) -> Facts {
    let tokens = dot_tokens(text);
    let opening = [
        Token::Word("digraph".into()),
        Token::Quoted("graphai".into()),
        Token::Punct("{"),
    ];
    assert_eq!(tokens[..3], opening);
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    let mut rest = &tokens[3..];
    loop {
        match &rest[0] {
            Token::Punct("}") => {
                assert_eq!(rest.len(), 1, "nothing after the graph");
                break;
            }
            Token::Word(word) if word == "node" || word == "edge" => {
                rest = &rest[1..];
                attribute_list(&mut rest);
            }
            Token::Quoted(id) => {
                let id = id.clone();
                if rest[1] == Token::Punct("->") {
                    let Token::Quoted(to) = &rest[2] else {
                        panic!("an edge to a quoted id")
                    };
                    let to = to.clone();
                    rest = &rest[3..];
                    let attributes = attribute_list(&mut rest);
                    edges.push((id, to, dot_edge_kind(&attributes)));
                } else {
                    rest = &rest[1..];
                    let attributes = attribute_list(&mut rest);
                    let name = dot_label(&attributes["label"]);
                    nodes.push((id, name, dot_flags(&attributes)));
                }
            }
            other => panic!("a statement, not {other:?}"),
        }
        assert_eq!(rest[0], Token::Punct(";"), "statements end with `;`");
        rest = &rest[1..];
    }
    Facts::by_id(nodes, edges)
}

/// `[key=value, ..]`, if `rest` starts with one.
fn attribute_list(rest: &mut &[Token]) -> HashMap<String, String> {
    let mut found = HashMap::new();
    if rest.first() != Some(&Token::Punct("[")) {
        return found;
    }
    *rest = &rest[1..];
    loop {
        let key = match &rest[0] {
            Token::Word(key) => key.clone(),
            other => panic!("an attribute name, not {other:?}"),
        };
        assert_eq!(rest[1], Token::Punct("="));
        let value = match &rest[2] {
            Token::Word(v) | Token::Quoted(v) => v.clone(),
            other => panic!("an attribute value, not {other:?}"),
        };
        assert!(found.insert(key, value).is_none(), "a repeated attribute");
        *rest = &rest[3..];
        match &rest[0] {
            Token::Punct(",") => *rest = &rest[1..],
            Token::Punct("]") => {
                *rest = &rest[1..];
                return found;
            }
            other => panic!("`,` or `]`, not {other:?}"),
        }
    }
}

/// Undoes the escaping of a DOT label (an escString with entities).
fn dot_label(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next().unwrap() {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                other => panic!("a DOT escape `\\{other}` graphai does not write"),
            }),
            '&' => {
                let entity: String = chars.by_ref().take_while(|c| *c != ';').collect();
                out.push(match entity.as_str() {
                    "amp" => '&',
                    number => {
                        let number = number.strip_prefix('#').expect("a numeric entity");
                        char::from_u32(number.parse().unwrap()).unwrap()
                    }
                });
            }
            c => {
                assert!(!c.is_control(), "a raw control character in {raw:?}");
                out.push(c);
            }
        }
    }
    out
}

/// A node's kinds, from how it is drawn.
fn dot_flags(attributes: &HashMap<String, String>) -> Flags {
    let get = |key: &str| attributes.get(key).map(String::as_str);
    [
        get("fillcolor") == Some("#dcfce7"),
        get("peripheries") == Some("2"),
        get("shape") == Some("diamond"),
        get("style").is_some_and(|s| s.split(',').any(|s| s == "dashed")),
    ]
}

/// An edge's kind, from how it is drawn.
fn dot_edge_kind(attributes: &HashMap<String, String>) -> EdgeKind {
    let kind = kind_of_label(attributes.get("label").map(String::as_str));
    assert_eq!(
        attributes.get("style").map(String::as_str),
        style_of(kind).1,
        "{attributes:?}"
    );
    let circle = attributes.get("arrowhead").map(String::as_str) == Some("odot");
    assert_eq!(
        circle,
        matches!(kind, EdgeKind::DetachedBranch { .. }),
        "{attributes:?}"
    );
    kind
}

/// The text Graphviz drew in each node of its SVG (lines joined by `\n`), by
/// node id.
pub fn graphviz_svg(svg: &str) -> HashMap<String, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, options).expect("Graphviz wrote XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("node"))
        .map(|g| {
            let child_text = |tag: &str| {
                g.children()
                    .filter(|c| c.has_tag_name(tag))
                    .map(|c| c.text().unwrap_or(""))
                    .collect::<Vec<_>>()
            };
            (child_text("title").concat(), child_text("text").join("\n"))
        })
        .collect()
}
