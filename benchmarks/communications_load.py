"""The communications benchmark's audience: a client group holding the first N loaded clients
that have an email address (each a different one), written straight into the clients database
(both the membership table the search filters on and the client's ``group_ids``, as the
clients service keeps them), so a campaign to "the group" has exactly N recipients."""


def assign_group(conn, group_id, count):
    """Put ``count`` clients with distinct first email addresses in ``group_id``; how many it put."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM client_group_members WHERE group_id = %s", (group_id,))
        cur.execute(
            """
            CREATE TEMP TABLE bench_audience ON COMMIT DROP AS
            SELECT id FROM (
                SELECT DISTINCT ON (lower(emails::jsonb ->> 0)) id
                FROM clients
                WHERE deleted_at IS NULL AND json_array_length(emails) > 0
                ORDER BY lower(emails::jsonb ->> 0), id
            ) picked
            ORDER BY id
            LIMIT %s
            """,
            (count,),
        )
        cur.execute(
            "INSERT INTO client_group_members (client_id, group_id) SELECT id, %s FROM bench_audience",
            (group_id,),
        )
        cur.execute(
            """
            UPDATE clients SET group_ids = (
                SELECT coalesce(json_agg(g ORDER BY g), '[]'::json)
                FROM (SELECT DISTINCT value::int AS g FROM json_array_elements_text(clients.group_ids)
                      UNION SELECT %s) groups)
            WHERE id IN (SELECT id FROM bench_audience)
            """,
            (group_id,),
        )
        cur.execute("SELECT count(*) FROM client_group_members WHERE group_id = %s", (group_id,))
        placed = cur.fetchone()[0]
    conn.commit()
    return placed
