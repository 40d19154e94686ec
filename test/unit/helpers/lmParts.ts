/** Stand-ins for the vscode.lm message parts (the editor's classes), for driving the language-model driver outside an editor. */
export class TextPart {
  constructor(readonly value: string) {}
}
export class ToolCallPart {
  constructor(
    readonly callId: string,
    readonly name: string,
    readonly input: object,
  ) {}
}
export class ToolResultPart {
  constructor(
    readonly callId: string,
    readonly content: unknown[],
  ) {}
}
