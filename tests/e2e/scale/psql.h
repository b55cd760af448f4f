/* psql from the scale tests (test_scale.c, test_gates.c): what the store
 * wrote, read back the way an operator would.  psql is the one on PATH or
 * the newest /usr/lib/postgresql/N/bin/psql (what tests/pg/cluster.sh uses).
 */
#ifndef DOOR_E2E_SCALE_PSQL_H
#define DOOR_E2E_SCALE_PSQL_H

/* psql -X -At -d 'URL' -c "SQL" through /bin/sh (so URL holds no single
 * quote, SQL no double quote): the first line of its output as a number;
 * -1 when there is none (psql missing, the query failed). */
long psql_num(const char *url, const char *sql);

#endif
