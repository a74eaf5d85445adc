"""The gateway's database: one engine a process, a session a unit of work."""
import contextlib

from sqlalchemy.orm import sessionmaker

from proofsheet_shared.db import create_db_engine, translate_db_error


class GatewayDatabase:
    def __init__(self, url):
        self.engine = create_db_engine(url, pool_size=8)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self):
        """Commit on success, roll back on error; database failures as domain errors."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except Exception as exc:
            session.rollback()
            translated = translate_db_error(exc)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            session.close()
