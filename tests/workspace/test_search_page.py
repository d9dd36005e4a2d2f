"""Search from the inbox page (/agent/?q=): a ticket number jumps to the ticket, an unknown
number is searched as text, odd input never breaks the page. What the search finds is tested in
tests/tickets/selectors/test_search.py."""

import pytest

from tickets.selectors.inbox import inbox_page


def test_a_ticket_number_jumps_straight_to_the_ticket(client, n1_agent, desk):
    client.force_login(n1_agent)
    number = desk["boleto"].number

    assert inbox_page(agent=n1_agent, q=f"#{number}").jump_to == number
    assert inbox_page(agent=n1_agent, q=str(number)).jump_to == number
    response = client.get("/agent/", {"q": f"#{number}"})
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{number}/"
    htmx = client.get("/agent/", {"q": str(number)}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == f"/agent/tickets/{number}/"


def test_an_unknown_number_is_searched_as_text(client, n1_agent, desk):
    client.force_login(n1_agent)

    response = client.get("/agent/", {"q": "#999999"})

    assert response.status_code == 200
    assert "No tickets match this search here." in response.content.decode()


@pytest.mark.parametrize("q", ["?", "%", "a", "_", "&|!:*()", "' OR 1=1 --", "x:* | y\\"])
def test_odd_input_never_breaks_the_page(client, n1_agent, desk, q):
    client.force_login(n1_agent)

    assert client.get("/agent/", {"q": q}).status_code == 200
