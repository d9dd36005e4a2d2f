"""The bulk-action form (/agent/bulk/) and the saved-view pages (/agent/views/) of the inbox;
the services behind them are tested in tests/tickets/test_bulk.py."""

from django.test import Client

from tickets import services
from tickets.models import SavedView, Ticket

S = Ticket.Status


# --- Bulk actions --------------------------------------------------------------------------------


def test_the_page_reports_what_changed_and_what_failed(client, n1_agent, three):
    closed = three[0]
    Ticket.objects.filter(pk=closed.pk).update(status=S.CLOSED)
    client.force_login(n1_agent)

    response = client.post(
        "/agent/bulk/",
        {
            "ticket": [t.pk for t in three],
            "action": "status",
            "status": "open",
            "return_query": "view=open&after=abc&sort=sla",
        },
        follow=True,
    )
    body = response.content.decode()

    assert response.redirect_chain[0][0] == "/agent/?view=open&sort=sla"
    assert "2 tickets updated, 1 failed: #" in body
    assert f"#{closed.number} A ticket cannot go from “Closed” to “Open”." in body


def test_the_page_assigns_to_me_and_recounts_my_views(client, n1_agent, three):
    client.force_login(n1_agent)
    client.get("/agent/")  # counts kept

    client.post("/agent/bulk/", {"ticket": [three[0].pk], "action": "assign", "assignee": "me"})
    body = client.get("/agent/?view=mine").content.decode()

    assert Ticket.objects.get(pk=three[0].pk).assignee_id == n1_agent.pk
    assert 'aria-current="page" class="current">Mine <span class="count-badge">1<' in body


def test_the_page_refuses_an_assignee_who_is_not_an_agent(client, n1_agent, three, customer):
    client.force_login(n1_agent)

    response = client.post(
        "/agent/bulk/",
        {"ticket": [three[0].pk], "action": "assign", "assignee": "999999"},
        follow=True,
    )

    assert "Choose an agent to assign to." in response.content.decode()
    assert Ticket.objects.get(pk=three[0].pk).assignee_id is None


def test_bulk_needs_a_selection(client, n1_agent):
    client.force_login(n1_agent)

    response = client.post("/agent/bulk/", {"action": "assign"}, follow=True)

    assert "Select at least one ticket." in response.content.decode()


def test_bulk_is_post_only_and_checks_csrf(n1_agent, three):
    client = Client(enforce_csrf_checks=True)
    client.force_login(n1_agent)

    assert client.get("/agent/bulk/").status_code == 405
    forged = client.post("/agent/bulk/", {"ticket": [three[0].pk], "action": "assign"})
    assert forged.status_code == 403
    assert Ticket.objects.get(pk=three[0].pk).assignee_id is None


# --- Saved views ---------------------------------------------------------------------------------


def test_an_agent_saves_a_view_and_finds_it_in_the_sidebar(client, n1_agent):
    client.force_login(n1_agent)

    response = client.post(
        "/agent/views/",
        {"name": "  Urgentes   do WhatsApp ", "query": "view=open&priority=urgent&after=xyz&bad=1"},
    )

    saved = SavedView.objects.get(owner=n1_agent)
    assert saved.name == "Urgentes do WhatsApp"
    assert saved.query == "view=open&priority=urgent"
    assert response["Location"] == "/agent/?view=open&priority=urgent"
    body = client.get("/agent/?view=open&priority=urgent").content.decode()
    assert 'href="?view=open&amp;priority=urgent" aria-current="page"' in body


def test_saved_views_are_listed_for_their_owner_only(client, n1_agent, n2_agent):
    services.saved_view_create(owner=n1_agent, name="Só minha", query="view=mine")
    client.force_login(n2_agent)

    assert "Só minha" not in client.get("/agent/").content.decode()


def test_another_agent_can_neither_rename_nor_delete_my_view(client, n1_agent, n2_agent):
    mine = services.saved_view_create(owner=n1_agent, name="Minha", query="view=mine")
    client.force_login(n2_agent)

    assert client.post(f"/agent/views/{mine.pk}/delete/").status_code == 404
    assert client.post(f"/agent/views/{mine.pk}/rename/", {"name": "Sua"}).status_code == 404
    assert SavedView.objects.get(pk=mine.pk).name == "Minha"


def test_an_agent_renames_and_deletes_their_view(client, n1_agent):
    mine = services.saved_view_create(owner=n1_agent, name="Minha", query="view=mine")
    other = services.saved_view_create(owner=n1_agent, name="Outra", query="view=sla")
    client.force_login(n1_agent)

    client.post(f"/agent/views/{mine.pk}/rename/", {"name": "Fila pessoal"})
    clash = client.post(f"/agent/views/{other.pk}/rename/", {"name": "Fila pessoal"}, follow=True)
    client.post(f"/agent/views/{other.pk}/delete/")

    assert "already have a view with that name" in clash.content.decode()
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Fila pessoal"]


def test_a_view_needs_a_name(client, n1_agent):
    client.force_login(n1_agent)

    response = client.post("/agent/views/", {"name": "   ", "query": "view=sla"}, follow=True)

    assert "give it a name" in response.content.decode()
    assert not SavedView.objects.exists()
