#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The status page (GET /) in headless Chromium, for web_page_test.sh; runs in the router's namespace.

Opens the page, waits until every uplink's card says `active` and the events stream has delivered its first
`status` and `recent`, runs the command that takes one uplink down, and waits for that card's IPv4 state to
say `down`. Checks:
  * the card says `down` within --bound-ms of the daemon publishing the uplink event (its `at`): measured
    from that moment, with the browser's clock, which is the daemon's (one machine);
  * it changed on the event itself, not on a later status sample: a script added before the page's own
    wraps EventSource to record each message the page is given, and a MutationObserver notes during which
    one the card's text changed (observers run right after the listener that changed the DOM);
  * the events list shows "UPLINK IPv4: active → down";
  * the console has no SEVERE entry, from the load to the end.
Then saves a desktop (1280x900) and a phone (390x844 CSS px, 2x) screenshot into --out-dir and prints the
delays. Exit status 0 when all holds, 1 (with FAIL: …) otherwise. Needs python3-selenium and chromium-driver.
"""
import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

# Runs before the page's script (Page.addScriptToEvaluateOnNewDocument).
SHIM = r"""
(() => {
  const log = window.__uplinkdCheck = {dispatches: [], flips: [], states: {}};
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(url, init) {
      super(url, init);
      // Registered before the page's listeners: each message is logged before the page sees it.
      for (const type of ['status', 'recent', 'message'])
        this.addEventListener(type, m => log.dispatches.push({type, t: Date.now(),
          data: type === 'message' ? m.data : null}));
    }
  };
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-uplink] [data-field="state"]')) {
      const name = el.closest('[data-uplink]').getAttribute('data-uplink');
      const text = el.textContent;
      if (log.states[name] === text) continue;
      log.flips.push({uplink: name, from: log.states[name] ?? null, to: text, t: Date.now(),
                      during: log.dispatches.length - 1});
      log.states[name] = text;
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


class Failed(Exception):
    pass


def say(text):
    print(f"web_page_check: {text}", flush=True)


def wait(deadline_s, what, probe, interval=0.025):
    end = time.monotonic() + deadline_s
    last = None
    while True:
        last = probe()
        if last and last[0]:
            return last[1]
        if time.monotonic() >= end:
            raise Failed(f"timed out after {deadline_s} s waiting for {what}" +
                         (f"; last seen: {last[1]}" if last else ""))
        time.sleep(interval)


class Console:
    """The browser log (console and network errors), read as it comes; SEVERE entries fail the check."""

    def __init__(self, driver):
        self.driver = driver
        self.entries = []

    def read(self):
        for entry in self.driver.get_log("browser"):
            self.entries.append(entry)
            say(f"console {entry.get('level')}: {entry.get('message')}")

    def severe(self):
        return [e for e in self.entries if e.get("level") == "SEVERE"]


def start_browser(args, tmp):
    # Chromium writes to $HOME and the XDG directories: all into the temp dir, removed afterwards.
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = tmp
    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp}/profile", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars", "--window-size=1280,900",
                 # The namespace has no DNS: a name would take a resolver's timeout (Debian's new tab page
                 # goes to a search engine, and the first navigation waits for it). Names fail at once.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=args.chromedriver, log_path=os.path.join(tmp, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver


def parse_at(text):
    """Milliseconds since the epoch of the daemon's "2026-12-06T07:28:30.870Z"."""
    when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return when.timestamp() * 1000


def cards(driver):
    return driver.execute_script("""
      return [...document.querySelectorAll('[data-uplink]')].map(c => {
        const s = c.querySelector('[data-field="state"]');
        return [c.getAttribute('data-uplink'), s ? s.textContent : null];
      });""")


def card_field(driver, uplink, field):
    """The text of one [data-field] of an uplink's card; None while it is hidden or missing."""
    return driver.execute_script("""
      const c = document.querySelector(`[data-uplink="${arguments[0]}"]`);
      const f = c && c.querySelector(`[data-field="${arguments[1]}"]`);
      return f && !f.hidden ? f.textContent : null;""", uplink, field)


def expect_fields(driver, expectations, deadline_s):
    """Each "UPLINK:FIELD:TEXT": that field of that card contains TEXT, within deadline_s."""
    for expectation in expectations:
        uplink, field, text = expectation.split(":", 2)

        def shown(uplink=uplink, field=field, text=text):
            now = card_field(driver, uplink, field)
            return now is not None and text in now, now
        wait(deadline_s, f"“{text}” in the {field} of {uplink}'s card", shown)
        say(f"{uplink}'s card: {field} shows {text!r}")


def check_log(driver):
    return driver.execute_script("return window.__uplinkdCheck || null")


def screenshot(driver, path, width, height, scale, mobile):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})
    time.sleep(0.5)  # a layout and a paint at the new size
    if not driver.save_screenshot(path):
        raise Failed(f"could not save {path}")
    say(f"screenshot {path} ({width}x{height} CSS px at {scale}x)")


def run(args, driver, console):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SHIM})
    driver.get(args.url)
    title = driver.title
    say(f"loaded {args.url} ({title!r})")
    want = sorted(args.uplinks.split(","))

    def all_active():
        now = cards(driver)
        ok = sorted(n for n, _ in now) == want and all(s == "active" for _, s in now)
        return ok, now
    seen = wait(args.ready_deadline, f"cards of {', '.join(want)}, each `active`", all_active)
    say(f"cards: {seen}")

    def subscribed():
        log = check_log(driver) or {"dispatches": []}
        types = [d["type"] for d in log["dispatches"]]
        return "recent" in types and "status" in types, types
    wait(10, "the events stream's first `status` and `recent`", subscribed)
    expect_fields(driver, args.expect, args.ready_deadline)
    if args.watch > 0:  # a few status samples in the sparklines and the traffic shares of the screenshots
        time.sleep(args.watch)
    console.read()
    if console.severe():
        raise Failed(f"console errors after loading the page: {console.severe()}")

    down = args.down_uplink
    before = len(check_log(driver)["dispatches"])
    cut_ms = time.time() * 1000
    say(f"taking {down} down: {args.down_command}")
    done = subprocess.run(shlex.split(args.down_command), check=True, capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        say(f"  {line}")

    def flipped():
        log = check_log(driver)
        flips = [f for f in log["flips"] if f["uplink"] == down and f["to"] == "down" and f["t"] >= cut_ms]
        return bool(flips), (flips[0] if flips else cards(driver))
    flip = wait(args.down_deadline, f"the card of {down} to say `down`", flipped)

    def uplink_event(data):
        try:
            event = json.loads(data or "")
        except ValueError:
            return None
        if (isinstance(event, dict) and event.get("event") == "uplink" and event.get("uplink") == down and
                event.get("family", "ipv4") == "ipv4" and event.get("to") == "down"):
            return event
        return None

    def event_arrived():
        log = check_log(driver)
        for index, d in enumerate(log["dispatches"][before:], before):
            if d["type"] == "message" and uplink_event(d["data"]):
                return True, (index, d, log)
        return False, f"{len(log['dispatches']) - before} messages since the cut"
    index, received, log = wait(5, f"the `uplink` event of {down} going down on the stream", event_arrived)
    event = uplink_event(received["data"])
    at_ms = parse_at(event["at"])
    cause = log["dispatches"][flip["during"]] if flip["during"] >= 0 else None
    on = "nothing" if cause is None else "the event" if flip["during"] == index else f"a `{cause['type']}` message"
    delay = flip["t"] - at_ms
    say(f"event: {json.dumps(event)}")
    say(f"the daemon published it {at_ms - cut_ms:.0f} ms after the cut; the page got it {received['t'] - at_ms:.0f} "
        f"ms later; the card said `down` {delay:.0f} ms after the event was published ({flip['t'] - cut_ms:.0f} ms "
        f"after the cut), changed by {on}")
    print(f"MEASURED_DELAY_MS={delay:.0f}", flush=True)
    if cause is None:
        raise Failed(f"the card of {down} changed outside any message of the events stream")
    if flip["during"] != index:
        if flip["during"] > index:
            raise Failed(f"the card of {down} waited for a later `{cause['type']}` message "
                         f"({cause['t'] - received['t']} ms after the `uplink` event): it must change on the event")
        say(f"note: the stream delivered a `{cause['type']}` with the new state before the `uplink` event; "
            "this run cannot tell whether the page acts on the event itself")
    if delay > args.bound_ms:
        raise Failed(f"the card of {down} said `down` {delay:.0f} ms after the event was published "
                     f"(bound {args.bound_ms} ms)")

    phrase = f"{down} IPv4: active → down"

    def listed():
        items = driver.execute_script(
            "return [...document.querySelectorAll('#events li')].map(li => li.textContent)")
        return any(phrase in item for item in items), items[:3]
    wait(2, f"“{phrase}” in #events", listed)
    say(f"events list: {phrase!r} shown")
    expect_fields(driver, args.expect_after, 3)

    # A status sample after the change, so that the header, the traffic and the sparklines agree with it.
    def sampled():
        log = check_log(driver)
        return any(d["type"] == "status" and d["t"] > flip["t"] for d in log["dispatches"]), None
    try:
        wait(3, "a status sample after the change", sampled)
    except Failed as late:
        say(f"note: {late}")
    other = [s for n, s in cards(driver) if n != down]
    if other != ["active"] * len(other):
        raise Failed(f"the other uplinks' cards after {down} went down: {cards(driver)}")
    os.makedirs(args.out_dir, exist_ok=True)
    screenshot(driver, os.path.join(args.out_dir, "web_page.png"), 1280, 900, 1, False)
    screenshot(driver, os.path.join(args.out_dir, "web_page_phone.png"), 390, 844, 2, True)
    console.read()
    if console.severe():
        raise Failed(f"console errors: {console.severe()}")
    say(f"no console errors ({len(console.entries)} entries in all)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--out-dir", required=True, help="where the screenshots go")
    parser.add_argument("--uplinks", default="wan1,wan2", help="the cards expected, comma-separated")
    parser.add_argument("--down-uplink", default="wan2")
    parser.add_argument("--down-command", required=True, help="takes the uplink down (split like a shell)")
    parser.add_argument("--bound-ms", type=int, default=2000, help="from the event's `at` to the card's `down`")
    parser.add_argument("--watch", type=float, default=0, help="seconds to watch the page before the cut")
    parser.add_argument("--ready-deadline", type=float, default=20)
    parser.add_argument("--down-deadline", type=float, default=10)
    parser.add_argument("--expect", action="append", default=[], metavar="UPLINK:FIELD:TEXT",
                        help="before the cut, the card's [data-field=FIELD] contains TEXT (repeatable)")
    parser.add_argument("--expect-after", action="append", default=[], metavar="UPLINK:FIELD:TEXT",
                        help="the same, once the uplink is down")
    parser.add_argument("--tmp", default=None, help="parent of the browser's temp dir (default: $TMPDIR)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="web_page_check.", dir=args.tmp) as tmp:
        driver = None
        try:
            driver = start_browser(args, tmp)
            console = Console(driver)
            try:
                run(args, driver, console)
            except (Failed, WebDriverException, subprocess.CalledProcessError) as failure:
                try:
                    console.read()
                    path = os.path.join(args.out_dir, "web_page_failed.png")
                    os.makedirs(args.out_dir, exist_ok=True)
                    driver.save_screenshot(path)
                    say(f"screenshot of the failure: {path}")
                except WebDriverException:
                    pass
                print(f"FAIL: {failure}", flush=True)
                return 1
        except WebDriverException as failure:
            print(f"FAIL: the browser did not start: {failure}", flush=True)
            return 1
        finally:
            if driver is not None:
                driver.quit()
    print("PASS: web_page_check", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
