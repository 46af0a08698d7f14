from tests.conftest import log_in


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_clinician_signs_in_and_sees_the_worklist(client, clinician):
    response = log_in(client, clinician.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
