import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { parseDeliveryBody } from "../../src/events/parse-delivery-body.js";

// Anything JSON can carry, with the keys normalizeEvent reads and the ones that attack objects.
const key = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "action", "repository", "sender", "issue", "pull_request", "comment", "review", "discussion", "workflow_run", "ref", "labels", "label", "body", "login", "full_name", "number", "name", "head", "base", "sha", "after", "merged", "draft", "installation", "id", "author_association", "html_url"),
  fc.string({ maxLength: 8 }),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.constant(null), fc.boolean(), fc.double(), fc.integer(), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("/agent deploy x", "> /agent execute", "<!-- switchyard -->", "\u0000\u202e"), fc.array(tie("json"), { maxLength: 4 }), tie("object")),
  object: fc.dictionary(key, tie("json"), { maxKeys: 8 }),
}));
const events = fc.oneof(fc.constantFrom("issues", "issue_comment", "pull_request", "pull_request_review", "push", "workflow_run", "discussion", "discussion_comment", "ping", "deployment_status", "label"), fc.string());

describe("normalizeEvent and parseDeliveryBody (property)", () => {
  it("normalizeEvent never throws on any JSON object (prototype keys included) and keeps its types", () => {
    fc.assert(
      fc.property(events, json, (event, value) => {
        // What the webhook hands it: the result of JSON.parse, so __proto__ is an own key.
        const payload = JSON.parse(JSON.stringify(value)) as unknown;
        if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return;
        const normalized = normalizeEvent(event, payload as Record<string, unknown>);
        expect(normalized.type).toBe(event);
        expect(Array.isArray(normalized.labels) && normalized.labels.every((l) => typeof l === "string")).toBe(true);
        expect(Array.isArray(normalized.commands)).toBe(true);
        for (const field of ["action", "repository", "title", "body", "branch", "sha", "ref"] as const) {
          expect(normalized[field] === null || typeof normalized[field] === "string", field).toBe(true);
        }
        expect(normalized.number === null || Number.isFinite(normalized.number)).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("parseDeliveryBody never throws: any bytes give a plain object or the reason they are not one", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), json.map((v) => Buffer.from(JSON.stringify(v))), json.map((v) => Buffer.from(`payload=${encodeURIComponent(JSON.stringify(v))}`))), fc.boolean(), (body, form) => {
        const parsed = parseDeliveryBody(body, form);
        if (typeof parsed !== "string") {
          expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)).toBe(true);
          expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});
