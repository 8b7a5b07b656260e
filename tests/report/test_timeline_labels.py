"""Timeline labels never overlap: the culprit and incident labels of the realistic incident's
timeline, drawn by plotly in a real browser at a wide and a narrow window, measured as drawn."""
from __future__ import annotations

import pytest

from browser_driver import LABEL_BOXES_JS, chrome, overlapping
from forensics import scan
from forensics.report.results import analyse_root_cause, incidents_of


@pytest.fixture(scope="module")
def realistic_timeline(realistic, tmp_path_factory):
    rc = analyse_root_cause(scan(realistic["repo"], cache=False, progress=False))
    incidents = incidents_of(rc.result, rc.culprits)
    fig = rc.timeline_figure(incidents)
    page = tmp_path_factory.mktemp("timeline") / "timeline.html"
    fig.write_html(str(page), include_plotlyjs=True, full_html=True, config={"responsive": True})
    return fig, page, incidents


def test_the_timeline_labels_every_top_culprit_and_incident(realistic, realistic_timeline):
    fig, _, incidents = realistic_timeline
    texts = [a.text for a in fig.layout.annotations]
    assert len(realistic["incidents"]) >= 2
    # the incidents still open are shaded and labelled (the top healed ones only when none is open)
    still = int((incidents["paths_still_damaged"] > 0).sum())
    assert sum(t.startswith("incident ") for t in texts) == min(10, still or len(incidents))
    assert sum(t.split(" ", 1)[0].isdigit() for t in texts) >= 3


@pytest.mark.parametrize("width", [1400, 1000])
def test_no_two_labels_overlap_as_drawn(realistic_timeline, width):
    _, page, _ = realistic_timeline
    with chrome(width, 900) as driver:
        driver.get(page.as_uri())
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 30).until(lambda d: len(d.execute_script(LABEL_BOXES_JS)) > 0)
        boxes = driver.execute_script(LABEL_BOXES_JS)
    assert len(boxes) >= 5
    assert overlapping(boxes) == []
