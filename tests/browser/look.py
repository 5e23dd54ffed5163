#!/usr/bin/env python3
"""Opens HTML pages in headless Chromium and reports what a person would see.

Speaks the DevTools protocol over the pipes of --remote-debugging-pipe (file
descriptors 3 and 4: JSON messages ended by a NUL byte), so that nothing but
the standard library is needed. For each page it collects the console's
errors and warnings, uncaught exceptions and the browser's log entries (SVG
attributes it could not read are logged there), measures the layout, saves a
screenshot of the whole page, and prints it to PDF.

Usage: look.py CHROMIUM JOBS.json
JOBS.json: [{"html": path, "png": path, "pdf": path or null, "print_png":
             path or null, "width": px, "height": px, "mobile": bool}, ...]
Prints one JSON object per job on standard output.
"""

import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import tempfile
import time

# Seconds any one answer may take (a hang guard, not a measurement).
PATIENCE = 120.0
# The tallest screenshot taken, in CSS pixels.
TALLEST = 12000


class Browser:
    def __init__(self, chromium, profile):
        commands_read, self.commands = os.pipe()
        self.events, events_write = os.pipe()
        # Out of the way of 3 and 4, which the child needs.
        high_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 100)
        high_write = fcntl.fcntl(events_write, fcntl.F_DUPFD, 100)
        os.close(commands_read)
        os.close(events_write)

        def onto_3_and_4():
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-pipe",
                "--user-data-dir=" + profile,
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=onto_3_and_4,
            pass_fds=(3, 4),
        )
        os.close(high_read)
        os.close(high_write)
        self.buffer = b""
        self.next_id = 0
        self.queued = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self):
        deadline = time.monotonic() + PATIENCE
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.events], [], [], left)
            if ready:
                chunk = os.read(self.events, 1 << 16)
                if not chunk:
                    raise EOFError("Chromium closed its pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        wanted = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.queued.append(message)

    def wait_for(self, method, session):
        deadline = time.monotonic() + PATIENCE
        for n, message in enumerate(self.queued):
            if message.get("method") == method and message.get("sessionId") == session:
                del self.queued[n]
                return message
        while time.monotonic() < deadline:
            message = self.receive()
            if message.get("method") == method and message.get("sessionId") == session:
                return message
            self.queued.append(message)
        raise TimeoutError(method)

    def close(self):
        try:
            self.send("Browser.close")
            self.process.wait(timeout=30)
        except Exception:
            self.process.kill()
            self.process.wait()


def problems(events, session):
    """The console's errors and warnings, exceptions and log entries seen."""
    found = []
    for message in events:
        if message.get("sessionId") != session:
            continue
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            texts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            found.append(f"console.{params['type']}: {' '.join(texts)}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            found.append(f"exception: {details.get('text')} {details.get('exception', {}).get('description', '')}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") in ("error", "warning"):
                found.append(f"log ({entry.get('source')}, {entry.get('level')}): {entry.get('text')}")
    return found


LAYOUT = """(() => {
  const doc = document.documentElement;
  const svgs = [...document.querySelectorAll('svg')];
  return JSON.stringify({
    title: document.title,
    lang: doc.lang,
    svgs: svgs.length,
    svgs_drawn: svgs.filter(s => s.getBBox().width > 0).length,
    tables: document.querySelectorAll('table').length,
    scroll_width: doc.scrollWidth,
    viewport_width: window.innerWidth,
    height: doc.scrollHeight,
    scripts: document.scripts.length,
    external: [...document.querySelectorAll('[src],[href]')]
      .map(e => e.getAttribute('src') || e.getAttribute('href'))
      .filter(u => !u.startsWith('#')),
  });
})()"""


def look(browser, job):
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.call(f"{domain}.enable", session=session)
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": job["width"],
            "height": job["height"],
            "deviceScaleFactor": 1,
            "mobile": bool(job.get("mobile")),
        },
        session=session,
    )
    browser.queued.clear()
    url = "file://" + os.path.abspath(job["html"])
    browser.call("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired", session)
    layout = json.loads(
        browser.call("Runtime.evaluate", {"expression": LAYOUT, "returnByValue": True}, session=session)["result"]["value"]
    )
    height = min(layout["height"], TALLEST)
    shot = browser.call(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": job["width"], "height": height, "scale": 1},
        },
        session=session,
    )
    with open(job["png"], "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    if job.get("print_png"):
        # The page as printed (print media), at an A4 page's width.
        browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 794, "height": 1123, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        printed = json.loads(
            browser.call("Runtime.evaluate", {"expression": LAYOUT, "returnByValue": True}, session=session)["result"]["value"]
        )
        shot = browser.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 794, "height": min(printed["height"], TALLEST), "scale": 1},
            },
            session=session,
        )
        with open(job["print_png"], "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        layout["print_scroll_width"] = printed["scroll_width"]
        browser.call("Emulation.setEmulatedMedia", {"media": ""}, session=session)
    if job.get("pdf"):
        pdf = base64.b64decode(browser.call("Page.printToPDF", {"printBackground": True}, session=session)["data"])
        with open(job["pdf"], "wb") as f:
            f.write(pdf)
    # Whatever the page logged while loading, drawing and printing.
    time.sleep(0.2)
    browser.call("Runtime.evaluate", {"expression": "0"}, session=session)
    layout["problems"] = problems(browser.queued, session)
    browser.queued.clear()
    browser.call("Target.closeTarget", {"targetId": target})
    return layout


def main():
    chromium, jobs_file = sys.argv[1], sys.argv[2]
    with open(jobs_file) as f:
        jobs = json.load(f)
    with tempfile.TemporaryDirectory(prefix="tcpexplain-chromium-") as profile:
        browser = Browser(chromium, profile)
        try:
            for job in jobs:
                print(json.dumps(look(browser, job)), flush=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
