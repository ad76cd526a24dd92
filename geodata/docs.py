"""The data reference (Markdown), generated from the schema so it cannot drift.

``python -m geodata docs > geodata/README.md`` regenerates the committed copy; a
unit test fails when the two differ.
"""

from __future__ import annotations

from geodata import schema
from geodata.schema import (
    MEASURE_CRS,
    META_TABLE,
    SCHEMA,
    SCHEMATIC_NOTE_EN,
    SCHEMATIC_NOTE_ZH,
    STORAGE_CRS,
    Field,
    Layer,
)
from geodata.validate import DISTRICT_TOLERANCE_M

_TYPE_TEXT = {
    "str": "text",
    "int": "whole number",
    "float": "number",
    "bool": "true/false",
    "date": "date (YYYY-MM-DD)",
    "datetime": "date-time (ISO 8601, Asia/Shanghai)",
    "codes": "codes (`;`-joined)",
}


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _allowed(f: Field) -> str:
    parts = []
    if f.choices:
        parts.append(
            "<br>".join(
                f"`{c.value}` {c.en}" if c.value == c.zh else f"`{c.value}` {c.zh}" for c in f.choices
            )
        )
    if f.minimum is not None or f.maximum is not None:
        low = "" if f.minimum is None else _number(f.minimum)
        high = "" if f.maximum is None else _number(f.maximum)
        if low and high:
            parts.append(f"{low} – {high}")
        elif low:
            parts.append(f"≥ {low}")
        else:
            parts.append(f"≤ {high}")
    return "<br>".join(parts)


def _flags(lyr: Layer, f: Field) -> str:
    flags = []
    if f.personal:
        flags.append("🔒 personal")
    if f.public and lyr.public:
        flags.append("🌐 public")
    return " ".join(flags)


def _geometry_text(lyr: Layer) -> str:
    if lyr.geometry is None:
        return "none (record table)"
    return ", ".join(f"{k} (or Multi{k})" for k in lyr.geometry)


def glossary_rows() -> list[tuple[str, str]]:
    """The (term, meaning) pairs of the glossary table in ``geodata.schema``'s docstring.

    The table's columns are not reliably aligned (Chinese characters are two
    columns wide), so a row is split where the English meaning starts: at the
    first word beginning with a lower-case ASCII letter or a quote. An indented
    line continues the meaning above.
    """
    lines = (schema.__doc__ or "").splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("===")]
    if len(rules) < 2:
        return []
    rows: list[tuple[str, str]] = []
    for line in lines[rules[0] + 1 : rules[1]]:
        if not line.strip():
            continue
        if line[0].isspace() and rows:
            rows[-1] = (rows[-1][0], f"{rows[-1][1]} {line.strip()}")
            continue
        words = line.split()
        start = next(
            (i for i, w in enumerate(words) if i > 0 and (w[0] in "\"'(" or "a" <= w[0] <= "z")),
            len(words),
        )
        rows.append((" ".join(words[:start]), " ".join(words[start:])))
    return rows


def layer_markdown(lyr: Layer) -> str:
    """The reference section of one layer."""
    out = [f"### {_heading(lyr)}", ""]
    if lyr.description:
        out += [lyr.description, ""]
    facts = [
        f"- **Geometry:** {_geometry_text(lyr)}",
        f"- **Public:** {'yes — the public finder shows its 🌐 fields' if lyr.public else 'no (staff only)'}",
    ]
    if lyr.has_geometry:
        inside = "every feature must lie inside the outline" if lyr.within_district else "not required"
        facts.append(f"- **Inside the district:** {inside}")
    if lyr.has_personal_data:
        names = ", ".join(f"`{f.name}`" for f in lyr.personal_fields)
        facts.append(f"- **Personal data:** {names} (🔒: never public; masked for roles that do not need it)")
    out += [*facts, ""]
    out += [
        "| Field | Type | 中文 | English | Required | Allowed values / range | Flags | References | Notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in lyr.fields:
        notes = f.description
        if f is lyr.id_field and "unique" not in notes.lower():
            notes = f"Unique feature id. {notes}".strip()
        out.append(
            "| "
            + " | ".join(
                [
                    f"`{f.name}`",
                    _TYPE_TEXT[f.type],
                    _cell(f.zh),
                    _cell(f.en),
                    "yes" if f.required else "no",
                    _allowed(f),
                    _flags(lyr, f),
                    f"`{f.references}`" if f.references else "",
                    _cell(notes),
                ]
            )
            + " |"
        )
    return "\n".join(out)


def schema_markdown() -> str:
    """The whole field reference as Markdown, generated from :data:`geodata.schema.SCHEMA`.

    Returns
    -------
    str
        The text of ``geodata/README.md`` (without a trailing newline).
    """
    out = [
        "# Red Map data reference",
        "",
        "<!-- Generated by `python -m geodata docs` from geodata/schema.py; do not edit by hand. -->",
        "",
        "A deployment keeps all of its data in **one GeoPackage** (`.gpkg`) file, one layer per "
        "table below. `geodata/schema.py` is the single source of truth for every layer, field, "
        "allowed value and label; this page is generated from it.",
        "",
        "## Checking a file",
        "",
        "```",
        "python -m geodata validate PATH",
        "```",
        "",
        "prints every problem found, one per line, as "
        "`file: layer L, feature ID, field F: what is wrong` (records without geometry say "
        "`record ID`; a feature without a unique id is named by its 0-based position, `row 17`), "
        "and exits with status 1 if there is any error. Warnings (an extra column or layer, a "
        "layer that will be reprojected, no provenance table) do not stop the file from being used. "
        "The app runs the same checks when it starts (`geodata.validate.load_validated`) and "
        "refuses to start with the same messages.",
        "",
        "What is checked:",
        "",
        "- the file is a GeoPackage (anything else, e.g. GeoJSON or a VRT renamed to `.gpkg`, is "
        "refused before GDAL opens it);",
        "- every layer below is present, with every field; extra layers and columns are warnings;",
        "- each value has its field's type, required values are not empty, values are among the "
        "allowed ones (each `;`-part of a codes field), numbers are within their range, ids are "
        "unique, and references point at an existing id;",
        "- geometry is present, not empty, valid, of the layer's kind (Multi- forms are accepted), "
        "in a CRS that can be reprojected to EPSG:4326, and inside the district outline for "
        f"layers that must be (with {_number(DISTRICT_TOLERANCE_M)} m tolerance, measured in "
        f"{MEASURE_CRS}); the `district` layer holds exactly one feature.",
        "",
        "## Coordinate reference systems",
        "",
        f"- **Store in {STORAGE_CRS}** (WGS 84 longitude/latitude). Tianditu and CGCS2000 "
        "(EPSG:4490) coordinates are within centimetres of it. A layer in another CRS that "
        "pyproj knows (e.g. EPSG:3857) is accepted and reprojected on loading, with a warning; "
        "a layer without a CRS is an error.",
        f"- **Measure in {MEASURE_CRS}** (CGCS2000 / 3-degree Gauss-Kruger CM 108E), the "
        "metric CRS for Qindu at 108.7°E; EPSG:4546 is the neighbouring, wrong zone.",
        "- AMap/Tencent (GCJ-02) and Baidu (BD-09) coordinates are shifted by hundreds of metres "
        "and have no EPSG code: convert them to WGS 84 before import (pyproj cannot).",
        f"- The district outline is schematic: every map that draws it says "
        f"“{SCHEMATIC_NOTE_ZH}” ({SCHEMATIC_NOTE_EN}).",
        "",
        "## Conventions",
        "",
        "- The first field of every layer is its id (`id`, text), unique within the layer.",
        "- **codes** fields hold several allowed values joined by `;`, e.g. "
        "`phone_charging;parcel_locker`.",
        "- Dates are `YYYY-MM-DD`; date-times ISO 8601 in Asia/Shanghai time.",
        "- 🔒 **personal** fields hold personal information about residents (PIPL): they are "
        "never public and are masked or aggregated for roles that do not need them. A layer "
        "with personal fields is never public.",
        "- 🌐 **public** fields of a public layer may be shown by the public finder and its API; "
        "everything else is for staff only.",
        "- `is_demo` is true for synthetic demo features; real data sets it false.",
        "",
        "## Glossary",
        "",
        "| 术语 | Meaning |",
        "|---|---|",
        *(f"| {_cell(term)} | {_cell(meaning)} |" for term, meaning in glossary_rows()),
        "",
        "## Layers",
        "",
        "| Layer | 中文 | English | Geometry | Public | Personal data |",
        "|---|---|---|---|---|---|",
        *(
            f"| [`{lyr.name}`](#{_anchor(_heading(lyr))}) | {_cell(lyr.zh)} | "
            f"{_cell(lyr.en)} | {_geometry_text(lyr)} | {'yes' if lyr.public else 'no'} | "
            f"{'🔒 yes' if lyr.has_personal_data else 'no'} |"
            for lyr in SCHEMA.values()
        ),
        "",
    ]
    for lyr in SCHEMA.values():
        out += [layer_markdown(lyr), ""]
    out += [*metrics_markdown(), ""]
    out += [
        f"## The `{META_TABLE}` table",
        "",
        f"Besides the layers, a file carries a key/value table `{META_TABLE}` (two text columns, "
        "`key` and `value`) recording its provenance: where the outline and each layer came "
        "from, when and by what the file was made (for the demo: generator, seed, the figures "
        "chosen where the source text redacted them) and whether it is demo data "
        "(`demo` = `true`). The validator warns when the table is missing.",
    ]
    return "\n".join(out)


def metrics_markdown() -> list[str]:
    """The per-area metrics (:data:`geodata.area_metrics.AREA_METRICS`) as a table."""
    from geodata.area_metrics import AREA_METRICS, OVERDUE_DAYS, SMALL_CELL

    scale = {"count": "count", "per_1000": "per 1,000 households", "share": "share 0–1, read as %",
             "days": "days"}  # fmt: skip
    return [
        "## Metrics per area",
        "",
        "Computed from the records for every grid, community or street; the staff choropleth, "
        "the wall's street colours and tour, and the tests read these definitions "
        "(`geodata/area_metrics.py`), so one name means one figure everywhere. An incident is "
        f"closed when it has been replied to (回复) and overdue when still open {OVERDUE_DAYS} "
        f"days after it was found. A value resting on fewer than {SMALL_CELL} records (or "
        "people) is suppressed where the metric says so.",
        "",
        "| Metric | 中文 | English | Counts | Scale | Levels | Suppressed below |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| `{m.id}` | {_cell(m.zh)} | {_cell(m.en)} | {_cell(m.counts_zh)}<br>{_cell(m.counts_en)} | "
            f"{scale[m.scale]} | {', '.join(m.levels)} | {m.min_records or '—'} |"
            for m in AREA_METRICS.values()
        ),
    ]


def _heading(lyr: Layer) -> str:
    return f"`{lyr.name}` — {lyr.zh} / {lyr.en}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")
