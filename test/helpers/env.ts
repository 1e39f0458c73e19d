// Where the tests find PostgreSQL: a superuser connection to the cluster that will hold the
// throw-away databases (127.0.0.1:5432 by default; .ci/run sets it to the embedded one when
// that port is not reachable).
export const testRootUrl = process.env.TEST_ROOT_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
