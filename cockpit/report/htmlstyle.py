"""Provides the report's one inline style sheet.

Colour is never the only signal: every state is a word, and each family of states also has its
own border (solid for done, double for broken, dashed for unknown, dotted for waiting), so the
page reads the same printed in grey. Print rules keep every section expanded and rows whole.

Text wraps only between words (`overflow-wrap: break-word`, never `anywhere`, which split an
address such as 127.20.0.11 in two), and addresses, ids and numbers never wrap at all: a column is
at least as wide as its longest word, which keeps every table inside 1100 px and an A4 page.
"""

from __future__ import annotations

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #444; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
.meta, .muted { color: #555; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: .5rem; white-space: pre-wrap;
  overflow-wrap: break-word; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; hyphens: manual; }
th { background: #eee; }
td code, .nowrap { white-space: nowrap; }
.prose { white-space: pre-wrap; }
p.prose { margin: 0 0 .6rem; }
td p.prose:last-child { margin-bottom: 0; }
.badge { display: inline-block; padding: 0 .4rem; border: 2px solid #555; border-radius: 3px;
  font-weight: 600; white-space: nowrap; }
.good { background: #dcf3dc; border-color: #1e6b1e; border-style: solid; }
.bad { background: #fbd9d9; border-color: #a00; border-style: double; border-width: 4px;
  text-transform: uppercase; }
.unknown { background: #eee; border-color: #666; border-style: dashed; font-style: italic; }
.waiting { background: #fff1c9; border-color: #8a6500; border-style: dotted; }
.busy { background: #dbe8fb; border-color: #1d4f91; border-style: solid; border-width: 3px; }
.progress { display: flex; align-items: center; gap: .5rem; margin: .2rem 0; }
.bar { width: 12rem; height: .9rem; border: 1px solid #333; background: #fff; }
.bar > span { display: block; height: 100%; background: #333;
  background-image: repeating-linear-gradient(45deg, #333 0 4px, #777 4px 8px); }
.alert { border-left: 6px double #a00; padding: .3rem .6rem; background: #fdf0f0; }
ul.tight { margin: .2rem 0 .8rem; padding-left: 1.2rem; }
@page { size: A4; margin: 10mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  table { font-size: 8pt; }
  th, td { padding: .15rem .3rem; }
  .badge { white-space: normal; }
  .bar { width: 8rem; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3, h4 { break-after: avoid; }
  tr, pre, .progress { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""
