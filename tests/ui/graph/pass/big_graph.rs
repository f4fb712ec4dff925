//! A 100-node graph with 197 edges, checked in strict mode: the const checks
//! stay well within the compiler's const-evaluation budget.

use graphai::{Value, graph, json, node};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

/// Plain nodes, written by `#[node]`.
macro_rules! plain_nodes {
    ($($name:ident)*) => {
        $(
            #[node]
            async fn $name() -> Value {
                json!({})
            }
        )*
    };
}

plain_nodes!(n1 n2 n3 n4 n5 n6 n7 n8 n9 n10 n11 n12 n13 n14 n15 n16 n17 n18 n19 n20 n21 n22 n23 n24 n25 n26 n27 n28 n29 n30 n31 n32 n33 n34 n35 n36 n37 n38 n39 n40 n41 n42 n43 n44 n45 n46 n47 n48 n49 n50 n51 n52 n53 n54 n55 n56 n57 n58 n59 n60 n61 n62 n63 n64 n65 n66 n67 n68 n69 n70 n71 n72 n73 n74 n75 n76 n77 n78 n79 n80 n81 n82 n83 n84 n85 n86 n87 n88 n89 n90 n91 n92 n93 n94 n95 n96 n97 n98);

fn main() {
    let _ = graph! {
        strict: true,
        max_steps: 200,
        first -> n1 -> n2 -> n3 -> n4 -> n5 -> n6 -> n7 -> n8 -> n9 -> n10 -> n11 -> n12 -> n13 -> n14 -> n15 -> n16 -> n17 -> n18 -> n19 -> n20 -> n21 -> n22 -> n23 -> n24 -> n25 -> n26 -> n27 -> n28 -> n29 -> n30 -> n31 -> n32 -> n33 -> n34 -> n35 -> n36 -> n37 -> n38 -> n39 -> n40 -> n41 -> n42 -> n43 -> n44 -> n45 -> n46 -> n47 -> n48 -> n49 -> n50 -> n51 -> n52 -> n53 -> n54 -> n55 -> n56 -> n57 -> n58 -> n59 -> n60 -> n61 -> n62 -> n63 -> n64 -> n65 -> n66 -> n67 -> n68 -> n69 -> n70 -> n71 -> n72 -> n73 -> n74 -> n75 -> n76 -> n77 -> n78 -> n79 -> n80 -> n81 -> n82 -> n83 -> n84 -> n85 -> n86 -> n87 -> n88 -> n89 -> n90 -> n91 -> n92 -> n93 -> n94 -> n95 -> n96 -> n97 -> n98 -> last;
        n1 -> n3;
        n2 -> n4;
        n3 -> n5;
        n4 -> n6;
        n5 -> n7;
        n6 -> n8;
        n7 -> n9;
        n8 -> n10;
        n9 -> n11;
        n10 -> n12;
        n11 -> n13;
        n12 -> n14;
        n13 -> n15;
        n14 -> n16;
        n15 -> n17;
        n16 -> n18;
        n17 -> n19;
        n18 -> n20;
        n19 -> n21;
        n20 -> n22;
        n21 -> n23;
        n22 -> n24;
        n23 -> n25;
        n24 -> n26;
        n25 -> n27;
        n26 -> n28;
        n27 -> n29;
        n28 -> n30;
        n29 -> n31;
        n30 -> n32;
        n31 -> n33;
        n32 -> n34;
        n33 -> n35;
        n34 -> n36;
        n35 -> n37;
        n36 -> n38;
        n37 -> n39;
        n38 -> n40;
        n39 -> n41;
        n40 -> n42;
        n41 -> n43;
        n42 -> n44;
        n43 -> n45;
        n44 -> n46;
        n45 -> n47;
        n46 -> n48;
        n47 -> n49;
        n48 -> n50;
        n49 -> n51;
        n50 -> n52;
        n51 -> n53;
        n52 -> n54;
        n53 -> n55;
        n54 -> n56;
        n55 -> n57;
        n56 -> n58;
        n57 -> n59;
        n58 -> n60;
        n59 -> n61;
        n60 -> n62;
        n61 -> n63;
        n62 -> n64;
        n63 -> n65;
        n64 -> n66;
        n65 -> n67;
        n66 -> n68;
        n67 -> n69;
        n68 -> n70;
        n69 -> n71;
        n70 -> n72;
        n71 -> n73;
        n72 -> n74;
        n73 -> n75;
        n74 -> n76;
        n75 -> n77;
        n76 -> n78;
        n77 -> n79;
        n78 -> n80;
        n79 -> n81;
        n80 -> n82;
        n81 -> n83;
        n82 -> n84;
        n83 -> n85;
        n84 -> n86;
        n85 -> n87;
        n86 -> n88;
        n87 -> n89;
        n88 -> n90;
        n89 -> n91;
        n90 -> n92;
        n91 -> n93;
        n92 -> n94;
        n93 -> n95;
        n94 -> n96;
        n95 -> n97;
        n96 -> n98;
        first -> n2;
    };
}
