import { describe, expect, it } from "vitest";
import { configInputPath, readActionInputs, routeEnv } from "../../src/action/read-action-inputs.js";
import { UsageError } from "../../src/errors.js";

describe("readActionInputs", () => {
  it("reads INPUT_<NAME> with the hyphen kept, empty as unset", () => {
    expect(readActionInputs({ INPUT_EVENT: " issues ", INPUT_CONFIG: "ci/switchyard.yaml", "INPUT_DRY-RUN": "TRUE" })).toEqual({ event: "issues", config: "ci/switchyard.yaml", dryRun: true });
    expect(readActionInputs({ INPUT_EVENT: "", INPUT_CONFIG: "  ", "INPUT_DRY-RUN": "" })).toEqual({ event: null, config: null, dryRun: "auto" });
    expect(readActionInputs({ "INPUT_DRY-RUN": "auto" }).dryRun).toBe("auto");
    expect(readActionInputs({ "INPUT_DRY-RUN": "false" }).dryRun).toBe(false);
    // The runner never writes INPUT_DRY_RUN: that spelling is not the input.
    expect(readActionInputs({ INPUT_DRY_RUN: "true" }).dryRun).toBe("auto");
  });

  it("refuses a dry-run that is not true, false or auto, as a usage error", () => {
    expect(() => readActionInputs({ "INPUT_DRY-RUN": "maybe" })).toThrow(UsageError);
  });
});

describe("routeEnv", () => {
  it("turns dry-run into SWITCHYARD_DRY_RUN and leaves the job's own setting on auto", () => {
    expect(routeEnv({ SWITCHYARD_DRY_RUN: "1" }, { event: null, config: null, dryRun: false }).SWITCHYARD_DRY_RUN).toBe("false");
    expect(routeEnv({}, { event: null, config: null, dryRun: true }).SWITCHYARD_DRY_RUN).toBe("true");
    expect(routeEnv({ SWITCHYARD_DRY_RUN: "1" }, { event: null, config: null, dryRun: "auto" }).SWITCHYARD_DRY_RUN).toBe("1");
  });
});

describe("configInputPath", () => {
  it("resolves against GITHUB_WORKSPACE, as action.yml says; the working directory only without it", () => {
    expect(configInputPath({ GITHUB_WORKSPACE: "/work/app" }, "/elsewhere", "ci/switchyard.yaml")).toBe("/work/app/ci/switchyard.yaml");
    expect(configInputPath({ GITHUB_WORKSPACE: "/work/app" }, "/elsewhere", "/abs/switchyard.yaml")).toBe("/abs/switchyard.yaml");
    expect(configInputPath({ GITHUB_WORKSPACE: " " }, "/elsewhere", "ci/switchyard.yaml")).toBe("/elsewhere/ci/switchyard.yaml");
    expect(configInputPath({ GITHUB_WORKSPACE: "/work/app" }, "/elsewhere", null)).toBeNull();
  });
});
