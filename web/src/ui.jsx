// Small pieces every page uses.

// An error the user must read (announced at once by screen readers); nothing when empty.
export function ErrorText({ text }) {
  if (!text) return null;
  return (
    <p role="alert" class="error">
      {text}
    </p>
  );
}

// What went wrong, for the user: the server's problems with the fields when it names them
// ("12 is too short to be a phone number"), else its message; and the first field named.
export function problemOf(e) {
  const details = (e && e.details) || [];
  const message = details.length ? details.map((d) => d.message).join(' ') : (e && e.message) || String(e);
  return { field: details[0] ? details[0].field : '', message };
}
