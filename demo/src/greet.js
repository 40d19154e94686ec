export function greet(name) {
  // TODO: greet in the person's language
  return `Hello, ${name}!`;
}
