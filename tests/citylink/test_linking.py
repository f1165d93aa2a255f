"""Linking through the OAuth2 code flow with PKCE against the in-app sandbox city platform (ASGI client)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from app.citylink.provider import pkce_challenge, sandbox_credentials
from app.citylink.service import unseal
from app.main import create_app
from app.settings import Settings, SettingsError
from models.audit import AuditEvent
from models.citylink import CityLink, SandboxGrant, SandboxToken
from tests.citylink.flow import callback, consent, link, local, query_of, start
from tests.conftest import running
from tests.helpers import signed_in


class TestStartLinking:
    async def test_it_returns_an_authorisation_url_with_pkce_s256_and_a_state(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        url = await start(client, headers)
        q = query_of(url)
        creds = sandbox_credentials(settings)
        assert url.startswith(settings.base_url + "/sandbox/city-account/authorize?")
        assert q["response_type"] == "code" and q["client_id"] == creds["client_id"]
        assert q["redirect_uri"] == creds["redirect_uri"] and q["code_challenge_method"] == "S256"
        assert len(q["code_challenge"]) == 43 and len(q["state"]) >= 43
        assert q["scope"] == "records.push"

    async def test_it_refuses_while_a_link_is_live(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        await link(client, headers)
        r = await client.post("/api/v1/city-account/link", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "citylink.already_linked"

    async def test_it_says_linking_is_not_offered_when_the_provider_is_off(self, settings) -> None:
        import httpx

        app = create_app(settings.with_(city_account_provider="off"))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                _, headers = await signed_in(settings)
                r = await c.post("/api/v1/city-account/link?lang=en", headers=headers)
                assert r.status_code == 404 and "not offered" in r.json()["message"]
                assert (await c.get("/sandbox/city-account/authorize")).status_code == 404  # not mounted


class TestCompleteLinking:
    async def test_the_full_flow_links_with_tokens_encrypted_at_rest_and_audited(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        body = await link(client, headers, account="CD0000000042")
        assert body["linked"] is True and body["link"]["account_id"] == "CD0000000042"
        row = await CityLink.get(user_id=user.id, status="linked")
        access = unseal(settings, row.access_token_enc, "access")
        refresh = unseal(settings, row.refresh_token_enc, "refresh")
        assert access and refresh and access.encode() not in bytes(row.access_token_enc)
        # The platform knows the very tokens we hold (it stores only their hashes).
        issued = await SandboxToken.get(access_hash=hashlib.sha256(access.encode()).hexdigest())
        assert issued.refresh_hash == hashlib.sha256(refresh.encode()).hexdigest()
        assert issued.account_id == "CD0000000042"
        event = await AuditEvent.get(action="city_account.linked", entity_id=row.public_id)
        assert event.after == {"status": "linked", "provider": "sandbox"}
        assert "CD0000000042" not in str(event.after)  # the city account id stays out of the public chain

    async def test_a_state_started_in_another_session_is_refused(self, client, settings) -> None:
        user, first = await signed_in(settings, phone="13911112222")
        redirect = await consent(client, await start(client, first))
        same_person_other_device = (await signed_in(settings, phone="13911112222"))[1]
        someone_else = (await signed_in(settings))[1]
        for headers in (same_person_other_device, someone_else):
            r = await callback(client, headers, redirect)
            assert r.status_code == 400 and r.json()["code"] == "citylink.state_invalid"
        assert not await CityLink.filter(user_id=user.id).exists()
        assert (await callback(client, first, redirect)).status_code == 200  # still the starter's to finish

    async def test_a_state_is_single_use_and_a_made_up_one_is_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        redirect = await consent(client, await start(client, headers))
        forged = redirect.replace("state=", "state=x")
        r = await callback(client, headers, forged)
        assert r.status_code == 400 and r.json()["code"] == "citylink.state_invalid"
        assert (await callback(client, headers, redirect)).status_code == 200
        await client.post("/api/v1/city-account/unlink", headers=headers)
        again = await callback(client, headers, redirect)
        assert again.status_code == 400 and again.json()["code"] == "citylink.state_invalid"

    async def test_a_reused_code_is_refused_by_the_platform(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        first = await consent(client, await start(client, headers))
        assert (await callback(client, headers, first)).status_code == 200
        await client.post("/api/v1/city-account/unlink", headers=headers)
        second = await start(client, headers)
        replay = f"/cb?code={query_of(first)['code']}&state={query_of(second)['state']}"
        r = await client.post(
            "/api/v1/city-account/callback?lang=en",
            json={"code": query_of(replay)["code"], "state": query_of(replay)["state"]},
            headers=headers,
        )
        assert r.status_code == 400 and r.json()["code"] == "citylink.code_refused"
        assert "already used" in r.json()["message"]
        assert not await CityLink.filter(status="linked").exists()

    async def test_a_code_with_the_wrong_pkce_verifier_is_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        url_a, url_b = await start(client, headers), await start(client, headers)
        code_a = query_of(await consent(client, url_a))["code"]
        # Code A (bound to challenge A) arrives with state B, whose verifier belongs to challenge B.
        r = await client.post(
            "/api/v1/city-account/callback",
            json={"code": code_a, "state": query_of(url_b)["state"]},
            headers=headers,
        )
        assert r.status_code == 400 and r.json()["code"] == "citylink.code_refused"
        assert "PKCE" in r.json()["message"] or "code_verifier" in r.json()["message"]
        assert not await CityLink.exists()

    async def test_an_expired_code_is_refused(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        redirect = await consent(client, await start(client, headers))
        await SandboxGrant.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        r = await callback(client, headers, redirect)
        assert r.status_code == 400 and "expired" in r.json()["message"]
        assert not await CityLink.exists()

    async def test_a_person_who_declines_is_told_and_nothing_is_linked(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        redirect = await consent(client, await start(client, headers), decision="deny")
        assert query_of(redirect)["error"] == "access_denied"
        r = await client.post(
            "/api/v1/city-account/callback?lang=en",
            json={"state": query_of(redirect)["state"], "error": "access_denied"},
            headers=headers,
        )
        assert r.status_code == 400 and r.json()["code"] == "citylink.denied"
        assert "declined" in r.json()["message"]


class TestSandboxPlatform:
    async def test_the_token_endpoint_authenticates_the_client_and_answers_oauth_errors(self, client, settings) -> None:
        url = "/api/v1/sandbox/city-account/oauth/token"
        bad = await client.post(url, data={"grant_type": "authorization_code", "code": "x"}, auth=("nobody", "x"))
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
        assert bad.headers["cache-control"] == "no-store" and "Basic" in bad.headers["www-authenticate"]
        creds = sandbox_credentials(settings)
        auth = (creds["client_id"], creds["client_secret"])
        r = await client.post(url, data={"grant_type": "password"}, auth=auth)
        assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
        r = await client.post(
            url, data={"grant_type": "authorization_code", "code": "nope", "code_verifier": "v" * 43}, auth=auth
        )
        assert r.status_code == 400 and r.json() == {
            "error": "invalid_grant",
            "error_description": r.json()["error_description"],
        }

    async def test_a_code_replayed_at_the_token_endpoint_revokes_what_it_bought(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        url = await start(client, headers)
        creds = sandbox_credentials(settings)
        auth = (creds["client_id"], creds["client_secret"])
        # Act as the client ourselves, with a PKCE verifier we know.
        verifier = "a" * 50
        q = query_of(url)
        q["code_challenge"] = pkce_challenge(verifier)
        from urllib.parse import urlencode

        own = await consent(client, "/sandbox/city-account/authorize?" + urlencode(q))
        own_code = query_of(own)["code"]
        form = {
            "grant_type": "authorization_code",
            "code": own_code,
            "redirect_uri": creds["redirect_uri"],
            "code_verifier": verifier,
        }
        first = await client.post("/api/v1/sandbox/city-account/oauth/token", data=form, auth=auth)
        assert first.status_code == 200 and first.json()["token_type"] == "Bearer"
        second = await client.post("/api/v1/sandbox/city-account/oauth/token", data=form, auth=auth)
        assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
        token = hashlib.sha256(first.json()["access_token"].encode()).hexdigest()
        assert (await SandboxToken.get(access_hash=token)).revoked_at is not None

    async def test_a_wrong_redirect_uri_is_shown_not_redirected(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        url = await start(client, headers)
        evil = local(url).replace("redirect_uri=", "redirect_uri=https%3A%2F%2Fevil.example%2F")
        r = await client.get(evil, follow_redirects=False)
        assert r.status_code == 400 and "location" not in r.headers

    async def test_a_request_without_pkce_is_sent_back_with_invalid_request(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        url = local(await start(client, headers)).replace("code_challenge_method=S256", "code_challenge_method=plain")
        r = await client.get(url, follow_redirects=False)
        assert r.status_code == 303 and query_of(r.headers["location"])["error"] == "invalid_request"


class TestSettings:
    def test_production_refuses_the_sandbox_city_platform(self, tmp_path) -> None:
        import base64
        import os

        from tests.payments.fake_wechatpay import wechatpay_environment

        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "x" * 40,
            "DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "WECHAT_LOGIN_BASE_URL": "http://127.0.0.1:9",
            "SMS_PROVIDER": "tencent",
            "WECHAT_MESSAGE_BASE_URL": "http://127.0.0.1:9",
            **wechatpay_environment(tmp_path),  # production refuses the sandbox payment provider too
        }
        with pytest.raises(SettingsError, match="city account"):
            Settings.from_env(env)
        assert Settings.from_env({**env, "CITY_ACCOUNT_PROVIDER": "off"}).city_account_provider == "off"

    def test_the_oauth2_provider_needs_its_endpoints_and_secrets(self) -> None:
        with pytest.raises(SettingsError, match="CITY_ACCOUNT_WEBHOOK_SECRET"):
            Settings.from_env(
                {
                    "CITY_ACCOUNT_PROVIDER": "oauth2",
                    "CITY_ACCOUNT_BASE_URL": "https://city.example",
                    "CITY_ACCOUNT_CLIENT_ID": "ms",
                    "CITY_ACCOUNT_CLIENT_SECRET": "s",
                }
            )

    def test_an_unknown_provider_name_is_refused_when_the_app_is_built(self, settings) -> None:
        from app.citylink.provider import city_account_provider_for

        with pytest.raises(SettingsError, match="not known"):
            city_account_provider_for(settings.with_(city_account_provider="pigeon"))


class TestPages:
    async def test_a_callback_page_with_a_foreign_state_shows_the_error_in_the_chosen_language(
        self, client, settings
    ) -> None:
        import secrets as _secrets

        from app.core.auth import SESSION_COOKIE, hash_secret
        from models.accounts import AuthSession

        user, headers = await signed_in(settings)
        redirect = await consent(client, await start(client, headers))  # started from the mini-app session
        cookie = _secrets.token_urlsafe(16)
        await AuthSession.create(
            public_id=_secrets.token_hex(16),
            user=user,
            kind="cookie",
            secret_hash=hash_secret(cookie),
            sign_in_method="sms",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        r = await client.get(
            local(redirect) + "&lang=en",
            headers={"Cookie": f"{SESSION_COOKIE}={cookie}", "Accept": "text/html"},
            follow_redirects=False,
        )
        assert r.status_code == 400 and "state mismatch" in r.text
        assert 'action="/me/city-account/link?lang=en"' in r.text  # the person can start again from here
        assert not await CityLink.exists()
