import Checkpoints
import Foundation

/// The page at `/`: a prompt box, temperature, top-p and length controls, the text streaming
/// in as the server writes it, and a stop button that ends the request (the server frees its
/// slot at once). One self-contained page: its script and style are inline and its
/// Content-Security-Policy allows exactly them (by hash) and requests to this server, nothing else.
enum WebPage {
    static func html(modelName: String, summary: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>CharLSTM: \(escape(modelName))</title>
        <style>\(style)</style>
        </head>
        <body>
        <h1>CharLSTM</h1>
        <p class="note">\(escape(modelName)): \(escape(summary))</p>
        <textarea id="prompt" rows="4" placeholder="A prompt the model continues (may be empty)"></textarea>
        <div id="controls">
        <label>temperature <input id="temperature" type="number" min="0" step="0.1" value="0.8"></label>
        <label>top-p <input id="top_p" type="number" min="0.01" max="1" step="0.05" value="1"></label>
        <label>length <input id="max_tokens" type="number" min="1" step="100" value="500"></label>
        <label>API key <input id="key" type="password" autocomplete="off" placeholder="if the server needs one"></label>
        <button id="write">Write</button> <button id="stop" disabled>Stop</button>
        <span id="status"></span>
        </div>
        <pre id="output"></pre>
        <script>\(script)</script>
        </body>
        </html>

        """
    }

    /// The header that lets the page run its own inline script and style and talk to this server only.
    static let contentSecurityPolicy = "default-src 'none'; script-src '\(hash(script))'; style-src '\(hash(style))'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    private static func hash(_ text: String) -> String {
        var digest = SHA256()
        digest.update(Array(text.utf8))
        return "sha256-" + Data(digest.finish()).base64EncodedString()
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let style = """
    body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\
    textarea,pre{width:100%;box-sizing:border-box;font:14px/1.4 ui-monospace,monospace}\
    #controls{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.8em;align-items:center}\
    input[type=number]{width:6em}pre{white-space:pre-wrap;background:#f6f6f2;padding:1em;min-height:10em}\
    .note,#status{color:#666}.error{color:#a00}
    """

    /// Reads the server-sent events of a streamed completion and appends each piece as it comes.
    /// When the text ends it sets `data-state` on the output ("done", "stopped" or "error"),
    /// so a browser test can tell.
    static let script = """
    const $ = id => document.getElementById(id);
    let controller = null;
    function finish(state, message) {
      $('output').dataset.state = state;
      $('status').textContent = message;
      $('status').className = state === 'error' ? 'error' : '';
      $('write').disabled = false; $('stop').disabled = true; controller = null;
    }
    async function write() {
      const output = $('output');
      output.textContent = ''; output.dataset.state = 'writing';
      $('status').textContent = 'writing…'; $('status').className = '';
      $('write').disabled = true; $('stop').disabled = false;
      controller = new AbortController();
      const headers = {'Content-Type': 'application/json'};
      if ($('key').value) headers['Authorization'] = 'Bearer ' + $('key').value;
      const body = {prompt: $('prompt').value, stream: true, temperature: Number($('temperature').value),
                    top_p: Number($('top_p').value), max_tokens: Number($('max_tokens').value)};
      let written = 0;
      try {
        const response = await fetch('/v1/completions', {method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal});
        if (!response.ok) {
          const reply = await response.json().catch(() => ({}));
          return finish('error', (reply.error && reply.error.message) || ('HTTP ' + response.status));
        }
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffered = '', reason = null;
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, {stream: true});
          let end;
          while ((end = buffered.indexOf('\\n\\n')) >= 0) {
            const event = buffered.slice(0, end); buffered = buffered.slice(end + 2);
            if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
            const choice = JSON.parse(event.slice(6)).choices[0];
            if (choice.text) { output.append(choice.text); written += [...choice.text].length; }
            if (choice.finish_reason) reason = choice.finish_reason;
          }
        }
        finish('done', written + ' characters (' + (reason || 'end') + ')');
      } catch (error) {
        if (error.name === 'AbortError') finish('stopped', 'stopped after ' + written + ' characters');
        else finish('error', String(error));
      }
    }
    $('write').addEventListener('click', write);
    $('stop').addEventListener('click', () => controller && controller.abort());
    """
}
