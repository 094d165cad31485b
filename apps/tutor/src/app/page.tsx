import { cookies } from "next/headers";
import { Lessons } from "~/components/lessons";
import { readSession, SESSION_COOKIE } from "~/server/session";
import { getQueryClient, HydrateClient, trpc } from "~/trpc/server";

export const dynamic = "force-dynamic";

export default async function Home() {
  const jar = await cookies();
  const userId = readSession(`${SESSION_COOKIE}=${jar.get(SESSION_COOKIE)?.value ?? ""}`);
  if (userId) {
    // Rendered with data: usagekit's usage and the host's lessons, through the host's router.
    const queryClient = getQueryClient();
    await Promise.all([
      queryClient.fetchQuery(trpc.usage.getCurrentUsage.queryOptions({})),
      queryClient.fetchQuery(trpc.lessons.list.queryOptions()),
    ]);
  }
  return (
    <main>
      <h1>Tutor</h1>
      {userId ? (
        <HydrateClient>
          <Lessons userId={userId} />
        </HydrateClient>
      ) : (
        <form method="post" action="/api/sign-in" className="card">
          <label htmlFor="name">Your name</label>
          <input id="name" name="name" required pattern="[A-Za-z0-9_-]{1,40}" />
          <button type="submit">Sign in</button>
        </form>
      )}
    </main>
  );
}
