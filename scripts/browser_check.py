#!/usr/bin/env python3
"""Opens `charlstm serve`'s page in headless Chromium (Selenium, Debian's chromedriver) and
uses it as a person would.

Starts the real binary on a free loopback port over the bundled model (or --checkpoint), then:
types a prompt, sets a long length, presses Write and sees the text grow while it streams (read
twice, longer the second time); presses Stop and sees the page say it stopped, the text stop
growing and the server's /health count no active text again; writes a short text to its end.
Also checks the page's Content-Security-Policy header and that the browser logged no error
(a CSP violation would be one). Prints what it saw; exits 1 on a mismatch.
Usage: scripts/browser_check.py [--charlstm PATH] [--checkpoint FILE]
"""

import argparse
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from charlstm_server import start_server
from charlstm_torch import charlstm_binary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charlstm", default=None)
    parser.add_argument("--checkpoint", default="checkpoints/bundled/best.safetensors")
    args = parser.parse_args()
    binary = charlstm_binary(args.charlstm, "browser_check.py")
    server, base = start_server(binary, args.checkpoint, "--max-tokens", "1000000")
    failures = []

    def check(what, ok, shown):
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {shown!r}")
        if not ok:
            failures.append(what)

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        policy = urllib.request.urlopen(base).headers.get("Content-Security-Policy", "")
        check("the page has a Content-Security-Policy", "default-src 'none'" in policy and "connect-src 'self'" in policy, policy)
        browser.get(base)
        output = browser.find_element(By.ID, "output")
        browser.find_element(By.ID, "prompt").send_keys("ROMEO:")
        length = browser.find_element(By.ID, "max_tokens")
        length.clear()
        length.send_keys("1000000")
        browser.find_element(By.ID, "write").click()
        wait = WebDriverWait(browser, 60, poll_frequency=0.02)
        wait.until(lambda _: len(output.text) > 0)
        first = len(output.text)
        time.sleep(0.5)
        second = len(output.text)
        check("the text grows as it streams", 0 < first < second, f"{first} then {second} characters")
        browser.find_element(By.ID, "stop").click()
        wait.until(lambda _: output.get_attribute("data-state") == "stopped")
        stopped = len(output.text)
        check("Stop stops it", browser.find_element(By.ID, "status").text.startswith("stopped after"),
              browser.find_element(By.ID, "status").text)
        deadline = time.time() + 10
        while json.load(urllib.request.urlopen(base + "health"))["streams"] != 0 and time.time() < deadline:
            time.sleep(0.05)
        streams = json.load(urllib.request.urlopen(base + "health"))["streams"]
        time.sleep(0.3)
        check("the server frees the stopped text's slot, and the page's text stays as it was", streams == 0
              and len(output.text) == stopped, f"{streams} active, {stopped} -> {len(output.text)} characters")
        length.clear()
        length.send_keys("300")
        browser.find_element(By.ID, "write").click()
        wait.until(lambda _: output.get_attribute("data-state") == "done")
        check("a short text is written to its end", browser.find_element(By.ID, "status").text == "300 characters (length)",
              output.text[:60])
        errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
                  and "aborted" not in entry["message"].lower()]
        check("the browser logged no error", not errors, errors)
    finally:
        browser.quit()
        server.terminate()
        server.wait(timeout=30)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
