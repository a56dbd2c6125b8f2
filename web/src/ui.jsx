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
