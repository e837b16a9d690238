import Foundation
import RecurrentNetwork
import Tokenization

/// The self-contained HTML page of `charlstm inspect --html`: the text coloured character by
/// character by any unit's quantity (chosen in the page, or by the URL fragment
/// `#layer=0&quantity=cell&unit=3`), the top next characters on hover, the units that best
/// track simple properties of the text, and the gate-saturation plot.
///
/// Everything is inline and the page's Content-Security-Policy forbids every fetch, so it opens
/// offline and cannot leak the text. The activations travel as one byte per value (a colour
/// level), series by series, deflated and base64-encoded; the page inflates them with the
/// browser's own `DecompressionStream`. After drawing a selection the page records it on
/// `<html>` (`data-selection`, `data-colours` = a hash of the colour levels,
/// `data-distinct-colours`), so a headless browser can check what it shows.
public enum ActivationPage {
    public static func html(trace: ActivationTrace, text: [Unicode.Scalar], vocabulary: Vocabulary, title: String,
                            findings: [UnitFinding]) -> String {
        let tokenBytes = vocabulary.count <= 1 << 16 ? 2 : 4
        var bytes = trace.levels
        bytes.reserveCapacity(bytes.count + trace.guesses.tokens.count * (tokenBytes + 1))
        for token in trace.guesses.tokens {
            for k in 0..<tokenBytes { bytes.append(UInt8(truncatingIfNeeded: UInt32(token) >> (8 * k))) }
        }
        for p in trace.guesses.probabilities { bytes.append(UInt8(max(0, min(255, (p * 255).rounded())))) }
        let meta: [String: Any] = [
            "title": title,
            "text": String(String.UnicodeScalarView(text)),
            "vocabulary": vocabulary.scalars.map { String($0) },
            "layers": trace.layers, "hidden": trace.hiddenSize, "length": trace.length,
            "levels": ActivationTrace.levelCount, "guesses": trace.guesses.count, "tokenBytes": tokenBytes,
            "quantities": trace.quantities.map { q -> [String: Any] in
                let range = ActivationTrace.displayRange(q)
                return ["name": q.rawValue, "label": q.label, "low": range.lowerBound, "high": range.upperBound]
            },
            // Per series (layer, quantity, unit), to 4 significant digits: 1 but for cell states.
            "scales": trace.scales.map { Double(String(format: "%.4g", $0)) ?? 1 },
            "findings": findings.map { f -> [String: Any] in
                ["property": f.property.rawValue, "label": f.property.label, "layer": f.layer,
                 "quantity": f.quantity.rawValue, "unit": f.unit, "r": (f.correlation * 1e4).rounded() / 1e4]
            },
        ]
        let json = String(decoding: (try? JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])) ?? Data("{}".utf8),
                          as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
        let data = Data(Deflate.compress(bytes)).base64EncodedString()
        var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
        page += "<title>\(Markup.escape("CharLSTM inspect: " + title))</title>\n<style>\n\(style)</style>\n</head>\n<body>\n"
        page += "<h1>What the model does inside</h1>\n<p class=\"note\">\(Markup.escape(title))</p>\n"
        page += controls
        page += "<div id=\"layout\">\n<div id=\"text\"></div>\n<aside>\n"
        page += "<h2>Units that track the text</h2>\n<p class=\"note\">Pearson correlation over the text of each unit's value after a character with a property of the text up to it; click one to colour the text by it.</p>\n<div id=\"findings\"></div>\n"
        page += "<h2>Gate saturation</h2>\n<p class=\"note\">One dot per unit and gate: the fraction of characters after which the gate is below 0.1 (nearly shut) against the fraction above 0.9 (nearly open). Gates named as in the project notes, PyTorch's letters in brackets.</p>\n"
        if trace.saturation.isEmpty {
            page += "<p>This cell has no gates.</p>\n"
        } else {
            page += SaturationPlot.svg(trace.saturation)
            page += saturationTable(trace.saturation)
        }
        page += "</aside>\n</div>\n<div id=\"tip\" hidden></div>\n"
        page += "<script type=\"application/json\" id=\"meta\">\(json)</script>\n"
        page += "<script type=\"application/octet-stream\" id=\"data\">\(data)</script>\n"
        page += "<script>\n\(script)</script>\n</body>\n</html>\n"
        return page
    }

    static func saturationTable(_ saturation: [GateSaturation]) -> String {
        var s = "<table class=\"saturation\"><tr><th>layer</th><th>gate</th><th>below 0.1</th><th>above 0.9</th></tr>\n"
        for entry in saturation {
            s += String(format: "<tr><td>%d</td><td>%@</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n", entry.layer,
                        Markup.escape(entry.gate.shortLabel), 100 * entry.belowFraction, 100 * entry.aboveFraction)
        }
        return s + "</table>\n"
    }

    static let controls = """
    <div id="controls">
    <label>layer <select id="layer"></select></label>
    <label>quantity <select id="quantity"></select></label>
    <label>unit <input id="unit" type="number" min="0" value="0"></label>
    <button id="previous" type="button">◀</button><button id="next" type="button">▶</button>
    <span id="scale"></span>
    <span id="status">reading the activations…</span>
    </div>

    """

    /// Background colours of the levels: blue (low) through white to red (high).
    static var levelColours: String {
        let top = Double(ActivationTrace.levelCount - 1)
        return (0..<ActivationTrace.levelCount).map { level in
            let t = Double(level) / top
            let (r, g, b): (Double, Double, Double) = t < 0.5
                ? (59 + (255 - 59) * 2 * t, 111 + (255 - 111) * 2 * t, 182 + (255 - 182) * 2 * t)
                : (255 - (255 - 200) * (2 * t - 1), 255 - (255 - 16) * (2 * t - 1), 255 - (255 - 46) * (2 * t - 1))
            return String(format: ".v%d{background:rgb(%.0f,%.0f,%.0f)}", level, r, g, b)
        }.joined(separator: "\n") + "\n"
    }

    static var style: String {
        """
        body{font-family:sans-serif;margin:1.2em;color:#222}
        h1{font-size:1.3em;margin:0}h2{font-size:1.1em;margin:1em 0 .3em}
        #layout{display:grid;grid-template-columns:minmax(0,1fr) minmax(20em,34em);gap:2em;align-items:start}
        aside{position:sticky;top:3.2em;max-height:calc(100vh - 3.6em);overflow:auto}
        aside svg{max-width:100%;height:auto}
        @media (max-width:60em){#layout{grid-template-columns:minmax(0,1fr)}aside{position:static;max-height:none}}
        .note{color:#555;font-size:.9em;margin:.3em 0}
        #controls{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd}
        #controls label{margin-right:1em}#unit{width:5em}#status{margin-left:1em;color:#555}
        #text{font-family:monospace;white-space:pre-wrap;line-height:1.35;font-size:13px;margin-top:.6em}
        #tip{position:fixed;background:#fff;border:1px solid #888;padding:.4em .6em;font-size:12px;pointer-events:none;box-shadow:2px 2px 6px #0003}
        #tip td{padding:0 .4em}#findings{display:flex;flex-wrap:wrap;gap:.4em 1.5em}
        #findings ol{margin:.2em 0;padding-left:1.6em}#findings button{font:inherit;font-size:12px;cursor:pointer;background:none;border:none;color:#1f5fa8;padding:0;text-align:left}
        #findings button:hover{text-decoration:underline}
        .saturation{border-collapse:collapse;font-size:12px;margin-top:.5em}.saturation td,.saturation th{border:1px solid #ccc;padding:.1em .6em}
        .swatch{display:inline-block;width:1em;height:1em;vertical-align:middle}

        """ + levelColours
    }

    static let script = #"""
    "use strict";
    (async function () {
      const meta = JSON.parse(document.getElementById("meta").textContent);
      const encoded = atob(document.getElementById("data").textContent.trim());
      const packed = new Uint8Array(encoded.length);
      for (let i = 0; i < encoded.length; i++) packed[i] = encoded.charCodeAt(i);
      const inflating = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
      const bytes = new Uint8Array(await new Response(inflating).arrayBuffer());
      const n = meta.length, h = meta.hidden, q = meta.quantities.length, k = meta.guesses;
      const levels = bytes.subarray(0, meta.layers * q * h * n);
      const tokenStart = levels.length, probabilityStart = tokenStart + n * k * meta.tokenBytes;
      const guessToken = (t, r) => {
        let value = 0;
        for (let b = meta.tokenBytes - 1; b >= 0; b--) value = value * 256 + bytes[tokenStart + (t * k + r) * meta.tokenBytes + b];
        return value;
      };
      const visible = c => c === "\n" ? "↵" : c === " " ? "␣" : c === "\t" ? "⇥" : c;

      const textBox = document.getElementById("text");
      const characters = Array.from(meta.text);
      const spans = new Array(n);
      const fragment = document.createDocumentFragment();
      for (let t = 0; t < n; t++) {
        const span = document.createElement("span");
        span.textContent = characters[t];
        span.position = t;
        spans[t] = span;
        fragment.appendChild(span);
      }
      textBox.appendChild(fragment);

      const layerSelect = document.getElementById("layer"), quantitySelect = document.getElementById("quantity");
      const unitInput = document.getElementById("unit");
      for (let l = 0; l < meta.layers; l++) layerSelect.add(new Option(String(l), String(l)));
      for (const quantity of meta.quantities) quantitySelect.add(new Option(quantity.label, quantity.name));
      unitInput.max = String(h - 1);

      let current = null;
      const describe = s => `layer=${s.layer}&quantity=${s.quantity}&unit=${s.unit}`;
      function fromFragment() {
        const p = new URLSearchParams(location.hash.slice(1));
        const layer = Number(p.get("layer") ?? 0), unit = Number(p.get("unit") ?? 0), quantity = p.get("quantity") ?? meta.quantities[0].name;
        return {
          layer: Number.isInteger(layer) && layer >= 0 && layer < meta.layers ? layer : 0,
          quantity: meta.quantities.some(x => x.name === quantity) ? quantity : meta.quantities[0].name,
          unit: Number.isInteger(unit) && unit >= 0 && unit < h ? unit : 0,
        };
      }
      function show(selection) {
        current = selection;
        layerSelect.value = String(selection.layer);
        quantitySelect.value = selection.quantity;
        unitInput.value = String(selection.unit);
        const qi = meta.quantities.findIndex(x => x.name === selection.quantity);
        const base = ((selection.layer * q + qi) * h + selection.unit) * n;
        const counts = new Array(meta.levels).fill(0);
        let hash = 2166136261;
        for (let t = 0; t < n; t++) {
          const level = levels[base + t];
          spans[t].className = "v" + level;
          counts[level]++;
          hash = Math.imul(hash ^ level, 16777619) >>> 0;
        }
        const quantity = meta.quantities[qi];
        const scale = meta.scales[(selection.layer * q + qi) * h + selection.unit];
        document.getElementById("scale").innerHTML =
          `<span class="swatch v0"></span> ${+(quantity.low * scale).toPrecision(3)} … ` +
          `<span class="swatch v${meta.levels - 1}"></span> ${+(quantity.high * scale).toPrecision(3)}`;
        const root = document.documentElement;
        root.dataset.selection = describe(selection);
        root.dataset.colours = hash.toString(16);
        root.dataset.distinctColours = String(counts.filter(c => c > 0).length);
        if (location.hash.slice(1) !== describe(selection)) location.hash = describe(selection);
      }
      const fromControls = () => ({
        layer: Number(layerSelect.value), quantity: quantitySelect.value,
        unit: Math.max(0, Math.min(h - 1, Math.round(Number(unitInput.value)) || 0)),
      });
      layerSelect.addEventListener("change", () => show(fromControls()));
      quantitySelect.addEventListener("change", () => show(fromControls()));
      unitInput.addEventListener("change", () => show(fromControls()));
      document.getElementById("previous").addEventListener("click", () => show({ ...current, unit: (current.unit + h - 1) % h }));
      document.getElementById("next").addEventListener("click", () => show({ ...current, unit: (current.unit + 1) % h }));
      window.addEventListener("hashchange", () => {
        if (location.hash.slice(1) !== describe(current)) show(fromFragment());
      });

      const tip = document.getElementById("tip");
      textBox.addEventListener("mousemove", event => {
        const t = event.target.position;
        if (t === undefined) { tip.hidden = true; return; }
        const quantity = meta.quantities.find(x => x.name === current.quantity);
        const qi = meta.quantities.indexOf(quantity);
        const series = (current.layer * q + qi) * h + current.unit, level = levels[series * n + t];
        const value = (quantity.low + (quantity.high - quantity.low) * level / (meta.levels - 1)) * meta.scales[series];
        let rows = "";
        for (let r = 0; r < k; r++) {
          const p = bytes[probabilityStart + t * k + r] / 255;
          rows += `<tr><td>${visible(meta.vocabulary[guessToken(t, r)]).replace(/&/g, "&amp;").replace(/</g, "&lt;")}</td><td>${(100 * p).toFixed(1)}%</td></tr>`;
        }
        tip.innerHTML = `after character ${t} (${visible(characters[t]).replace(/&/g, "&amp;").replace(/</g, "&lt;")}): ` +
          `${quantity.name} ≈ ${value.toPrecision(2)}<br>next character:<table>${rows}</table>`;
        tip.hidden = false;
        tip.style.left = Math.min(event.clientX + 14, window.innerWidth - 220) + "px";
        tip.style.top = Math.min(event.clientY + 14, window.innerHeight - 160) + "px";
      });
      textBox.addEventListener("mouseleave", () => { tip.hidden = true; });

      const findingsBox = document.getElementById("findings");
      const byProperty = new Map();
      for (const f of meta.findings) {
        if (!byProperty.has(f.property)) byProperty.set(f.property, { label: f.label, entries: [] });
        byProperty.get(f.property).entries.push(f);
      }
      for (const { label, entries } of byProperty.values()) {
        const section = document.createElement("div");
        const heading = document.createElement("strong");
        heading.textContent = label;
        const list = document.createElement("ol");
        for (const f of entries) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = `layer ${f.layer} · ${f.quantity} · unit ${f.unit}: r = ${f.r >= 0 ? "+" : ""}${f.r.toFixed(3)}`;
          button.addEventListener("click", () => show({ layer: f.layer, quantity: f.quantity, unit: f.unit }));
          const item = document.createElement("li");
          item.appendChild(button);
          list.appendChild(item);
        }
        section.append(heading, list);
        findingsBox.appendChild(section);
      }

      show(fromFragment());
      document.getElementById("status").textContent = `${n} characters`;
      document.documentElement.dataset.ready = "yes";
    })().catch(error => {
      document.getElementById("status").textContent = "could not read the activations: " + error;
      console.error(error);
    });

    """#
}
