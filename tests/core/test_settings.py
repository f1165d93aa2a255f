"""Settings come from the environment in one place and refuse unsafe production set-ups."""

import pytest

from app.settings import Settings, SettingsError


class TestFromEnv:
    def test_empty_environment_is_the_embedded_default(self) -> None:
        s = Settings.from_env({})
        assert s.is_sqlite and s.redis_url is None and s.environment == "development"
        assert s.wechat_login_base_url == "sandbox" and s.sms_provider == "sandbox"

    def test_reads_database_and_redis_urls(self) -> None:
        s = Settings.from_env({"DATABASE_URL": "postgres://u@h/db", "REDIS_URL": "redis://h:6379/1"})
        assert (s.database_url, s.redis_url, s.is_sqlite) == ("postgres://u@h/db", "redis://h:6379/1", False)

    def test_production_refuses_the_development_secrets(self) -> None:
        with pytest.raises(SettingsError, match="SECRET_KEY"):
            Settings.from_env({"ENVIRONMENT": "production"})

    def test_production_refuses_sandbox_sign_in(self) -> None:
        import base64
        import os

        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "x" * 40,
            "DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        }
        with pytest.raises(SettingsError, match="sandbox"):
            Settings.from_env(env)

    def test_a_data_key_of_the_wrong_length_is_refused(self) -> None:
        with pytest.raises(SettingsError, match="32 bytes"):
            Settings.from_env({"DATA_KEY": "c2hvcnQ="})

    def test_an_unknown_environment_is_refused(self) -> None:
        with pytest.raises(SettingsError, match="ENVIRONMENT"):
            Settings.from_env({"ENVIRONMENT": "staging"})

    def test_production_refuses_sandbox_wechat_messages(self) -> None:
        import base64
        import os

        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "x" * 40,
            "DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "WECHAT_LOGIN_BASE_URL": "http://127.0.0.1:9",
            "SMS_PROVIDER": "tencent",
        }
        with pytest.raises(SettingsError, match="message provider"):
            Settings.from_env(env)

    def test_notification_template_ids_come_from_json(self) -> None:
        s = Settings.from_env({"NOTIFICATION_TEMPLATE_IDS": '{"sms": {"login": "1234567"}}'})
        assert s.provider_template_id("sms", "login") == "1234567"
        assert s.provider_template_id("sms", "other") == "other"
        with pytest.raises(SettingsError, match="JSON"):
            Settings.from_env({"NOTIFICATION_TEMPLATE_IDS": "{nope"})

    def test_a_record_signing_key_of_the_wrong_length_is_refused(self) -> None:
        s = Settings.from_env({"RECORD_SIGNING_KEY": "c2hvcnQ="})
        with pytest.raises(SettingsError, match="RECORD_SIGNING_KEY"):
            _ = s.record_signing_seed
