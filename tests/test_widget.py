"""The website widget in a real browser (Debian's chromium, driven by Playwright), against the
real server on loopback with a trained model."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.support import ROOT
from tests.support.web import say

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EXIT_URL = "https://www.bbc.co.uk/weather"
# Flags for a closed network: no background calls to Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, web_server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The exit page is on the internet, which this machine cannot reach: answer for it.
    page.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(
        body="<title>Weather</title><p>Weather</p>", content_type="text/html"))
    page.goto(f"{web_server}/webhooks/web/")
    expect(page.locator(".daw-bot").first).to_contain_text("Who are you asking for?")
    yield page
    context.close()


def last_answer(page: Page) -> str:
    return page.locator(".daw-bot").last.inner_text()


def send(page: Page, text: str) -> None:
    count = page.locator(".daw-bot").count()
    page.get_by_label("Type your message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".daw-bot")).to_have_count(count + 1, timeout=30_000)


def session_token(page: Page, action: callable) -> str:
    """Reloads the page, running `action`, and returns the session token the server issued."""
    with page.expect_response("**/webhooks/web/session") as response:
        page.reload()
    token = response.value.json()["token"]
    expect(page.locator(".daw-bot").first).to_contain_text("Who are you asking for?")
    action()
    return token


def test_a_question_gets_its_answer(page: Page) -> None:
    send(page, "what is clares law")
    assert "right to ask" in last_answer(page)


def test_a_button_sends_its_choice(page: Page) -> None:
    page.get_by_role("button", name="For me").click()
    expect(page.locator(".daw-bot").last).to_contain_text("Thank you for reaching out")
    expect(page.locator(".daw-user").last).to_have_text("You: For me")


def test_risk_shows_999_as_a_tappable_link(page: Page) -> None:
    send(page, "hes outside my door and hes drunk")
    assert "Please call 999 now" in last_answer(page)
    link = page.locator(".daw-bot").last.get_by_role("link", name="999").first
    assert link.get_attribute("href") == "tel:999"


def test_html_is_shown_as_text_and_never_run(page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    send(page, "<img src=x onerror=alert(1)>")
    expect(page.locator(".daw-user").last).to_have_text("You: <img src=x onerror=alert(1)>")
    assert page.locator(".daw-log img").count() == 0
    assert dialogs == []


def _assert_exited_and_forgotten(page: Page, web_server: str, token: str) -> None:
    expect(page).to_have_url(EXIT_URL)
    # The server forgot the chat and ended it: its token opens nothing any more (that nothing
    # of it is left, even with a reply in flight, is tests/test_forget_race.py's).
    status, answer = say(web_server, token, message="i need help")
    assert status == 403 and "start a new one" in answer["error"]


@pytest.mark.parametrize("how", ["escape", "shift three times", "exit button", "page exit bar"])
def test_quick_exit_leaves_and_forgets(page: Page, web_server: str, how: str) -> None:
    def choose_for_me() -> None:
        page.get_by_role("button", name="For me").click()
        expect(page.locator(".daw-bot").last).to_contain_text("Thank you for reaching out")

    token = session_token(page, choose_for_me)
    with page.expect_request("**/webhooks/web/forget") as beacon:
        if how == "escape":
            page.keyboard.press("Escape")
        elif how == "shift three times":
            for _ in range(3):
                page.keyboard.press("Shift")
        elif how == "exit button":
            page.locator(".daw-exit").click()
        else:
            page.locator(".exit-bar button").click()
    assert beacon.value.post_data == token
    _assert_exited_and_forgotten(page, web_server, token)
    page.go_back()  # the campaign page was replaced in the history, not left behind it
    assert "/webhooks/web/" not in page.url


def test_typing_capitals_does_not_exit(page: Page) -> None:
    page.get_by_label("Type your message").type("Hello From Essex And Thurrock")
    page.wait_for_timeout(1000)  # an exit would have navigated by now
    assert "/webhooks/web/" in page.url
    expect(page.get_by_label("Type your message")).to_have_value("Hello From Essex And Thurrock")


def test_every_control_is_reachable_by_keyboard(page: Page) -> None:
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "() => (document.activeElement.textContent || document.activeElement.id || '').trim()"
        ))
    for control in ["Exit now", "For me", "For someone else", "About my own behaviour",
                    "daw-input", "Send", "How to cover your tracks online"]:
        assert control in reached, (control, reached)
    page.get_by_label("Type your message").focus()
    page.keyboard.type("what is consent")
    page.keyboard.press("Enter")
    expect(page.locator(".daw-bot").last).to_contain_text("Consent means")


def test_nothing_is_kept_in_the_browser(page: Page) -> None:
    send(page, "hello")
    assert page.context.cookies() == []
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0


def test_no_accessibility_violations_at_wcag_22_aa(browser: Browser, web_server: str) -> None:
    # axe is injected as a script, which the page's strict CSP would (rightly) block.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{web_server}/webhooks/web/")
    expect(page.locator(".daw-choice").first).to_be_visible(timeout=30_000)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
        return r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}));
    }""")
    context.close()
    assert result == [], json.dumps(result, indent=1)


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 900),
                                                       ("phone", 320, 640)])
def test_screenshots_and_no_sideways_scrolling(browser: Browser, web_server: str, name: str,
                                               width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{web_server}/webhooks/web/")
    expect(page.locator(".daw-choice").first).to_be_visible(timeout=30_000)
    send(page, "what is coercive control")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".daw").screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))
    context.close()



def test_the_language_menu_changes_the_widgets_words_and_the_answers(page: Page) -> None:
    """Issue 18: the person picks Polish; the widget's own words and the assistant's answers
    are then in Polish, and the quick exit still works under its Polish name."""
    page.get_by_label("Language").select_option("pl")
    expect(page.locator(".daw-bot").last).to_contain_text("będę odpowiadać po polsku")
    expect(page.locator(".daw-exit")).to_have_text("Wyjdź teraz")
    expect(page.locator(".daw-send")).to_have_text("Wyślij")
    count = page.locator(".daw-bot").count()
    page.get_by_label("Wpisz wiadomość").fill("co to jest kontrola przymusowa")
    page.get_by_role("button", name="Wyślij").click()
    expect(page.locator(".daw-bot")).to_have_count(count + 1, timeout=30_000)
    assert "Kontrola przymusowa" in last_answer(page)
    page.get_by_role("button", name="Wyjdź teraz").click()
    page.wait_for_url("https://www.bbc.co.uk/**")
