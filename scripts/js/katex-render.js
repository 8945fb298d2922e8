// Typesets TeX with KaTeX for scripts/site: reads a JSON array of TeX strings on stdin and
// writes a JSON array of HTML strings (display mode, HTML and MathML), or one error line
// naming the formula KaTeX cannot parse and exit status 2.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const formulas = JSON.parse(input);
  const out = [];
  for (const tex of formulas) {
    try {
      out.push(katex.renderToString(tex, { displayMode: true, output: "htmlAndMathml", throwOnError: true }));
    } catch (err) {
      process.stderr.write(`katex-render: ${err.message} in ${JSON.stringify(tex)}\n`);
      process.exit(2);
    }
  }
  process.stdout.write(JSON.stringify(out));
});
