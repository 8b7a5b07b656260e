"""The investigation in JupyterLab, in a real browser: Lab from the project's environment, the
investigation notebook on the realistic incident, every cell run, the widgets driven to an incident
and a file; the chain and the diff appear, and no cell shows an error."""
from __future__ import annotations

import pytest

from browser_driver import chrome
from lab_harness import ERRORS_JS, ROOT, jupyter_lab, notebook_with_parameters, run_all_cells

NOTEBOOK = ROOT / "notebooks" / "05_investigate.ipynb"


def _select(driver, label: str, index: int) -> str:
    """Choose the ``index``-th option of the widget dropdown described ``label``; returns its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    box = driver.find_element(By.XPATH, f"//div[contains(@class,'widget-dropdown')][.//label[normalize-space()='{label}']]")
    select = Select(box.find_element(By.TAG_NAME, "select"))
    assert len(select.options) > index, f"{label}: {len(select.options)} options"
    select.select_by_index(index)
    return select.options[index].text


def test_an_investigator_drills_from_an_incident_to_the_diff_in_jupyterlab(realistic, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    root = tmp_path / "lab"
    root.mkdir()
    notebook_with_parameters(NOTEBOOK, root / "investigate.ipynb", repo=realistic["repo"], cache="")
    with jupyter_lab(root) as url, chrome(1400, 900) as driver:
        driver.get(f"{url}/lab/tree/investigate.ipynb")
        run_all_cells(driver)
        assert driver.execute_script(ERRORS_JS) == []
        wait = WebDriverWait(driver, 60, poll_frequency=0.25)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-dropdown select"))
        incident = _select(driver, "incident", 1)          # the second incident
        assert incident.startswith("#2")
        wait.until(lambda d: "culprits of incident 2" in d.page_source)
        chosen = _select(driver, "file", 0).split(": ", 1)[1]
        assert chosen in {e["path"] for e in realistic["events"]}     # a file the simulator changed
        # the widget's own output: the chain of the chosen file and the diff that damaged it
        out = "//div[contains(@class,'widget-vbox')]"
        wait.until(lambda d: d.find_elements(By.XPATH, f"{out}//table[@aria-label='chain of {chosen}']"))
        chain = driver.find_element(By.XPATH, f"{out}//table[@aria-label='chain of {chosen}']")
        assert [th.text for th in chain.find_elements(By.TAG_NAME, "th")][:3] == ["event", "state_before", "state_after"]
        diff = driver.find_element(By.XPATH, f"{out}//div[@aria-label='diff']")
        assert chosen in diff.text and ("\n+" in "\n" + diff.text or "\n-" in "\n" + diff.text)
        # on request, the damaging commit as pydriller sees it (on a throwaway view), the file first
        driver.find_element(By.XPATH, f"{out}//button[contains(., 'pydriller sees it')]").click()
        wait.until(lambda d: d.find_elements(By.XPATH, f"{out}//table[starts-with(@aria-label,'files of ')]"))
        first = driver.find_element(By.XPATH, f"{out}//table[starts-with(@aria-label,'files of ')]//tbody/tr[1]/td[1]")
        assert first.text == chosen
        assert driver.execute_script(ERRORS_JS) == []
