import { demoUsers } from "~/lib/demo-users";

export default function SignInPage() {
  return (
    <main className="narrow">
      <h1>usagekit demo</h1>
      <p className="muted">
        A language-learning app with AI conversation practice on Free, Plus and Pro plans. Pick a
        demo learner to sign in; everything you do is metered by usagekit.
      </p>
      <form action="/api/sign-in" method="post" className="user-list">
        {demoUsers.map((user) => (
          <button key={user.id} type="submit" name="userId" value={user.id} className="user-card">
            <strong>{user.name}</strong>
            <span className="muted">{user.blurb}</span>
          </button>
        ))}
      </form>
    </main>
  );
}
