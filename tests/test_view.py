"""``fovlabel view``: the routes and their rules over HTTP, then the page in a real headless
Chromium (Debian's ``chromium``, driven by Playwright; skipped with a message where either is
absent). Screenshots go to tests/screenshots/ (not committed) and docs/view_*.png when asked."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SAMPLE, SHARED, shared
from fovlabel import annotate, read_pairs

CHROMIUM = Path(os.environ.get("FOVLABEL_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(__file__).parent / "screenshots"
REDKITCHEN = SHARED / "rgbd" / "7scenes_redkitchen_every20"
INTRINSICS = dict(fx=585.0, fy=585.0, cx=320.0, cy=240.0, width=640, height=480)


def get(url):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The sample city's label set, one frame's image planted in the dataset, one linked out."""
    base = tmp_path_factory.mktemp("view")
    data = base / "msls"
    shutil.copytree(SAMPLE, data)
    images = data / "train_val" / "sampleville" / "query" / "images"
    images.mkdir()
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(images / "q0000.jpg")
    secret = base / "secret.jpg"
    Image.new("RGB", (64, 48), (0, 0, 0)).save(secret)
    (images / "q0001.jpg").symlink_to(secret)  # a link out of the dataset
    labels = base / "labels"
    annotate(data, "msls", preset="msls", out=labels)
    return labels


@pytest.fixture(scope="module")
def served(city):
    from fovlabel.view import open_view

    server, url = open_view(city, port=0)
    yield url, city
    server.shutdown()


def test_routes_answer_and_refuse(served):
    url, labels = served
    status, body = get(url)
    assert status == 200 and b"fovlabel view" in body
    info = json.loads(get(url + "api/info")[1])
    assert info["frames"] == info["placed"] == 504 and info["groups"] == ["sampleville"]
    status, body = get(url + "api/image/0?w=32")
    assert status == 200 and body[:2] == b"\xff\xd8"  # a JPEG of the planted image
    for path in ("api/image/1",  # a link out of the dataset
                 "api/image/2",  # a frame whose image is not there
                 "api/image/999999", "api/image/..%2F..%2Fsecret.jpg", "api/image/-1",
                 "static/../labels/pairs.parquet", "static/app.py", "..%2F..%2Fetc%2Fpasswd", "etc/passwd",
                 "api/frame/504", "api/nothing"):
        assert get(url + path)[0] == 404, path
    request = urllib.request.Request(url + "api/info", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405  # read-only


def test_a_frames_matches_are_its_pairs_in_rank_order(served):
    url, labels = served
    pairs = read_pairs(labels)
    for i in (0, 130, 300):
        answer = json.loads(get(url + f"api/frame/{i}")[1])
        mine = pairs[(pairs["frame_a"] == i) | (pairs["frame_b"] == i)].copy()
        mine["other"] = np.where(mine["frame_a"] == i, mine["frame_b"], mine["frame_a"])
        mine = mine.sort_values(["overlap", "other"], ascending=[False, True])
        assert [m["id"] for m in answer["matches"]] == mine["other"].tolist() and len(mine) > 0
        assert [m["overlap"] for m in answer["matches"]] == pytest.approx(mine["overlap"].tolist())
        assert [m["rank"] for m in answer["matches"]] == mine["rank"].tolist()
    summary = json.loads(get(url + "api/summary")[1])
    counts = summary["histogram"]["counts"]
    assert sum(map(sum, counts.values())) == len(pairs)
    assert sum(counts["2"]) == int((pairs["rank"] == 2).sum())


def test_the_map_draws_every_frame_or_counts_them(served):
    from fovlabel.view import data as view_data

    url, _ = served
    info = json.loads(get(url + "api/info")[1])
    x0, y0, x1, y1 = info["bounds"]
    whole = json.loads(get(url + f"api/map?x0={x0}&y0={y0}&x1={x1}&y1={y1}&w=800&h=600")[1])
    assert len(whole["points"]["id"]) == whole["total"] == 504
    old = view_data.MAX_POINTS
    view_data.MAX_POINTS = 100  # more in view than drawn one by one: counted on a grid, none lost
    try:
        cells = json.loads(get(url + f"api/map?x0={x0}&y0={y0}&x1={x1}&y1={y1}&w=800&h=600")[1])
    finally:
        view_data.MAX_POINTS = old
    assert "points" not in cells and sum(cells["cells"]["count"]) == 504


# -- in a real browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: playwright is not "
                                     "installed (scripts/test installs it with the test extra)")
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: {CHROMIUM} is absent (scripts/test installs Debian's chromium as root)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def open_page(browser, url, errors):
    page = browser.new_page(viewport={"width": 1400, "height": 850})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='map']", timeout=30_000)
    return page


def test_the_page_in_a_browser(browser, served):
    url, labels = served
    errors = []
    page = open_page(browser, url, errors)
    pairs = read_pairs(labels, with_keys=True)
    count = page.locator("#frame-count")
    assert int(count.get_attribute("data-count")) == int(count.get_attribute("data-drawn")) == 504
    page.wait_for_selector("body[data-summary='ready']", timeout=30_000)
    # click the frame drawn at query 0's place: its matches, in rank order
    info = json.loads(get(url + "api/frame/0")[1])["frame"]
    x, y = page.evaluate(f"toScreen({info['x']}, {info['y']})")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#frame-panel:not([hidden])")
    page.wait_for_function("document.querySelector('#frame-title').textContent === 'q0000'")
    shown = page.locator("#matches tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.id))")
    mine = pairs[(pairs["frame_a"] == 0) | (pairs["frame_b"] == 0)].copy()
    mine["other"] = np.where(mine["frame_a"] == 0, mine["frame_b"], mine["frame_a"])
    assert shown == mine.sort_values(["overlap", "other"], ascending=[False, True])["other"].tolist()
    assert "#frame=0" in page.url
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "city_frame.png"))
    # a pair from the table, then its link opened anew: the same pair
    page.locator("#matches tbody tr").first.click()
    page.wait_for_selector("#pair-panel:not([hidden])")
    link = page.locator("#pair-link").get_attribute("href")
    first = mine.sort_values(["overlap", "other"], ascending=[False, True]).iloc[0]
    assert link.startswith(f"#pair=0,{int(first['other'])}&at=")  # the pair, and the map's view
    page.screenshot(path=str(SHOTS / "city_pair.png"))
    view = page.evaluate("[view.cx, view.cy, view.scale]")
    again = open_page(browser, url + link, errors)
    again.wait_for_selector("#pair-panel:not([hidden])")
    assert again.evaluate("[view.cx, view.cy, view.scale]") == pytest.approx(view, rel=1e-6)
    title = again.locator("#pair-title").text_content()
    assert title == f"q0000  ×  {pairs.loc[pairs['frame_b'] == int(first['other']), 'key_b'].iloc[0]}"
    assert f"overlap {first['overlap']:.3f}" in again.locator("#pair-meta").text_content()
    # search by key
    again.fill("#search", "d0003")
    again.wait_for_selector("#search-results li")
    again.locator("#search-results li").first.click()
    again.wait_for_function("document.querySelector('#frame-title').textContent === 'd0003'")
    again.wait_for_timeout(500)  # the map, centred on the frame found, redrawn
    again.screenshot(path=str(SHOTS / "city_search.png"))
    # an image request outside the dataset: 404 in the browser too
    status = again.evaluate("fetch('/api/image/1').then(r => r.status)")
    assert status == 404
    assert errors == [] or all("404" in e for e in errors), errors


@pytest.mark.realdata
def test_the_kitchen_in_a_browser(browser, tmp_path):
    """A 3D label set: the cameras on their ground plane, a pair's images and shared pixels."""
    from fovlabel.view import open_view

    frames_dir = shared(REDKITCHEN) / "frames"
    data = tmp_path / "kitchen"
    shutil.copytree(frames_dir, data / "frames")  # the images inside the dataset (a link out is refused)
    rows = []
    for pose in sorted((data / "frames").glob("frame-*.pose.txt")):
        T = np.loadtxt(pose)
        stem = pose.name[: -len(".pose.txt")]
        rows.append(dict(key=stem, image_path=f"frames/{stem}.color.jpg", depth_path=f"frames/{stem}.depth.png",
                         depth_scale=1000.0, **INTRINSICS, **{f"m{r}{c}": T[r, c] for r in range(4) for c in range(4)}))
    pd.DataFrame(rows).to_csv(data / "kitchen.csv", index=False)
    labels = tmp_path / "labels"
    annotate(data / "kitchen.csv", "csv", labeller="cloud3d", mode="within", out=labels,
             reader_options={"pose": "cam_to_world"})
    from fovlabel.correspondences import correspondences, read_correspondences

    correspondences(labels, tmp_path / "corr", min_overlap=0.5, per_pair=40, negatives=0.0)
    table = read_correspondences(tmp_path / "corr")
    a, b = (int(v) for v in table[["frame_a", "frame_b"]].iloc[0])
    server, url = open_view(labels, port=0, correspondences=tmp_path / "corr")
    try:
        lines = json.loads(get(url + f"api/correspondences/{a}/{b}")[1])["lines"]
        mine = table[(table["frame_a"] == a) & (table["frame_b"] == b) & table["match"]]
        assert np.allclose(lines, mine[["u_a", "v_a", "u_b", "v_b"]].round(1).to_numpy()) and len(lines) > 10
        errors = []
        page = open_page(browser, url, errors)
        count = page.locator("#frame-count")
        assert int(count.get_attribute("data-count")) == int(count.get_attribute("data-drawn")) == len(rows)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "kitchen_map.png"))
        page.evaluate("location.hash = 'pair=0,1'")
        page.wait_for_selector("#pair-panel:not([hidden])")
        page.wait_for_function("document.querySelector('#pair-picture').complete && "
                               "document.querySelector('#pair-picture').naturalWidth > 0", timeout=60_000)
        page.wait_for_function("document.querySelector('#img-a').naturalWidth > 0")
        page.screenshot(path=str(SHOTS / "kitchen_pair.png"))
        page.evaluate(f"location.hash = 'pair={a},{b}'")  # a pair of the correspondence set: its lines drawn
        page.wait_for_function(f"document.querySelectorAll('#pair-lines line').length === {len(lines)}", timeout=30_000)
        page.screenshot(path=str(SHOTS / "kitchen_correspondences.png"))
        assert errors == [], errors
    finally:
        server.shutdown()


def test_the_command_binds_where_asked_warns_and_stops_on_ctrl_c(city, monkeypatch):
    """``fovlabel view``: prints its address, opens no browser with --no-browser, warns when it
    binds anything but 127.0.0.1, and Ctrl-C stops the server."""
    import threading
    import webbrowser

    from click.testing import CliRunner

    import fovlabel.view as view_module
    from fovlabel.cli import main

    served, opened = [], []

    class Server:
        def shutdown(self):
            served.append("stopped")

    def fake_open(labels, **kw):
        served.append(kw)
        return Server(), f"http://{kw['host']}:{kw['port']}/"

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(view_module, "open_view", fake_open)
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    monkeypatch.setattr(threading.Event, "wait", interrupted)
    result = CliRunner().invoke(main, ["view", str(city), "--no-browser", "--port", "9999"])
    assert result.exit_code == 0 and "fovlabel view: http://127.0.0.1:9999/ (Ctrl-C stops it)" in result.output
    assert "warning" not in result.output and opened == [] and served[-1] == "stopped"
    result = CliRunner().invoke(main, ["view", str(city), "--host", "0.0.0.0"])
    assert result.exit_code == 0 and "warning: serving on 0.0.0.0" in result.output
    assert opened == ["http://0.0.0.0:8765/"] and served[-2]["host"] == "0.0.0.0"
