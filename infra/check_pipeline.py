"""Runs the pipeline's scripts against an environment infra/test applied to moto, and
checks what they changed through the AWS APIs.

    python infra/check_pipeline.py rolling OUTPUTS.json     # dev as applied (rolling)
    python infra/check_pipeline.py blue-green OUTPUTS.json  # dev switched to blue/green

rolling: an image pushed to the environment's repository is deployed with
scripts/deploy (a new task definition revision with that image and nothing else
changed, the migration run as a one-off task of it, the service moved to it); a digest
that is not in the repository is refused before anything changes; scripts/rollback
puts the previous revision back, and refuses when no deploy recorded one;
scripts/migrate-task runs on its own.
blue-green: scripts/deploy creates a CodeDeploy deployment whose AppSpec names the new
revision. moto never runs a CodeDeploy deployment, so the script's wait must time out
saying so, and the deployment is read back instead.

Runs with the moto virtualenv's Python (boto3) and puts that virtualenv's AWS CLI on
the scripts' PATH; AWS_ENDPOINT_URL points at moto, which must run with
MOTO_ECS_SERVICE_RUNNING at the service's desired count (moto starts no task).
"""

import hashlib
import json
import os
import subprocess
import sys

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREVIOUS_TAG = "deploy:previous-task-definition"

failures = []
passed = []


def check(condition, message):
    (passed if condition else failures).append(message)
    return condition


def run(outputs_file, *command, deploy_timeout="60"):
    """Runs a project script the way the deploy workflow does, with moto's settings.
    deploy_timeout bounds the wait for the service or CodeDeploy alone: the migration
    task keeps its own minute, which a loaded machine needs for moto's polls."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    env.update(TF_OUTPUTS=outputs_file, DEPLOY_POLL="0.2", DEPLOY_TIMEOUT=deploy_timeout, MIGRATE_TIMEOUT="60")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    print(f"$ {' '.join(command)}  -> exit {result.returncode}", file=sys.stderr)
    for line in (result.stdout + result.stderr).strip().splitlines():
        print(f"  {line}", file=sys.stderr)
    return result


def push_image(repository, tag):
    """Pushes an image manifest under a tag of its own (tags are immutable) to the
    repository, and returns its digest as ECR gives it."""
    config = json.dumps({"architecture": "arm64", "os": "linux", "config": {"Labels": {"test": tag}}}).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(config),
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
        },
        "layers": [],
    }
    image = boto3.client("ecr").put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return image["image"]["imageId"]["imageDigest"]


def service_state(outputs):
    ecs = boto3.client("ecs")
    service = ecs.describe_services(cluster=outputs["cluster_name"], services=[outputs["service_name"]])["services"][0]
    return service["taskDefinition"]


def definition(arn):
    return boto3.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])


def app_image(described):
    return next(c["image"] for c in described["taskDefinition"]["containerDefinitions"] if c["name"] == "app")


def revisions(family):
    return boto3.client("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]


def values(outputs_file):
    with open(outputs_file) as f:
        return {name: output["value"] for name, output in json.load(f).items()}


def rolling(outputs_file):
    outputs = values(outputs_file)
    repository_url = outputs["ecr_repository_url"]
    repository = repository_url.split("/", 1)[1]
    family = outputs["task_definition_family"]
    ecs = boto3.client("ecs")

    before = service_state(outputs)
    before_definition = definition(before)
    digest = push_image(repository, "sha-pipeline-rolling")

    # A digest the repository does not hold: refused, nothing registered or moved.
    missing = "sha256:" + hashlib.sha256(b"never pushed").hexdigest()
    count = len(revisions(family))
    result = run(outputs_file, "scripts/deploy", "dev", missing)
    check(result.returncode != 0, "a deploy of a digest that is not in ECR fails")
    check("refused" in result.stderr and missing in result.stderr, "the refusal names the digest")
    check(len(revisions(family)) == count, "the refused deploy registered no revision")
    check(service_state(outputs) == before, "the refused deploy left the service as it was")
    result = run(outputs_file, "scripts/deploy", "dev", "latest")
    check(result.returncode != 0 and "not an image digest" in result.stderr, "a tag instead of a digest is refused")

    # The deploy: a new revision with the image alone changed, migrated, deployed.
    tasks_before = set(ecs.list_tasks(cluster=outputs["cluster_name"], startedBy="migrate-task")["taskArns"])
    result = run(outputs_file, "scripts/deploy", "dev", digest)
    if not check(result.returncode == 0, "scripts/deploy of a pushed digest succeeds"):
        return
    after = service_state(outputs)
    check(after != before, "the service runs a new revision")
    described = definition(after)
    check(app_image(described) == f"{repository_url}@{digest}", "the new revision's app image is the repository at the digest")
    old, new = before_definition["taskDefinition"], described["taskDefinition"]
    same = ["cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn", "requiresCompatibilities", "runtimePlatform"]
    check(all(old.get(k) == new.get(k) for k in same), f"the new revision keeps the task's settings ({', '.join(same)})")
    strip = lambda containers: [{k: v for k, v in c.items() if k != "image"} for c in containers]  # noqa: E731
    check(strip(old["containerDefinitions"]) == strip(new["containerDefinitions"]), "the containers differ only in the app's image")
    tags = {t["key"]: t["value"] for t in described.get("tags", [])}
    check(tags.get(PREVIOUS_TAG) == before, "the new revision records the one it replaced")
    old_tags = {t["key"]: t["value"] for t in before_definition.get("tags", [])}
    check(all(tags.get(k) == v for k, v in old_tags.items()), "the new revision keeps the old one's tags")
    migrations = ecs.list_tasks(cluster=outputs["cluster_name"], startedBy="migrate-task")["taskArns"]
    new_tasks = [t for t in migrations if t not in tasks_before]
    if check(len(new_tasks) == 1, "the deploy ran one migration task"):
        task = ecs.describe_tasks(cluster=outputs["cluster_name"], tasks=new_tasks)["tasks"][0]
        check(task["taskDefinitionArn"] == after, "the migration ran the new revision")
        check(task["overrides"]["containerOverrides"][0]["command"] == ["migrate"], "the migration task runs `hello-service migrate`")
        network = task.get("attachments", [{}])[0].get("details", [])
        subnet = next((d["value"] for d in network if d["name"] == "subnetId"), None)
        check(subnet in outputs["private_subnet_ids"], "the migration task runs in a private subnet")

    # The rollback: back to the revision the deploy replaced; then nothing is recorded.
    result = run(outputs_file, "scripts/rollback", "dev")
    check(result.returncode == 0, "scripts/rollback succeeds")
    check(service_state(outputs) == before, "the rollback put the previous revision back")
    result = run(outputs_file, "scripts/rollback", "dev")
    check(result.returncode != 0 and "records no revision" in result.stderr,
          "a second rollback, past Terraform's revision, is refused and says why")

    # The migration on its own, as a first deploy runs it by hand.
    result = run(outputs_file, "scripts/migrate-task", "dev")
    check(result.returncode == 0 and "exited 0" in result.stdout, "scripts/migrate-task runs the service's revision and sees it exit 0")

    # An unknown environment is refused before AWS is asked anything.
    result = run(outputs_file, "scripts/deploy", "qa", digest)
    check(result.returncode != 0 and "no environment 'qa'" in result.stderr, "an unknown environment is refused")


def blue_green(outputs_file):
    outputs = values(outputs_file)
    repository = outputs["ecr_repository_url"].split("/", 1)[1]
    digest = push_image(repository, "sha-pipeline-blue-green")
    before = service_state(outputs)
    result = run(outputs_file, "scripts/deploy", "dev", digest, deploy_timeout="3")
    # moto accepts the deployment and never runs it: the wait ends, saying so.
    check(result.returncode != 0 and "CodeDeploy deployment" in result.stderr and "still Created" in result.stderr,
          "under moto, the blue/green deploy waits on CodeDeploy and times out saying so")
    codedeploy = boto3.client("codedeploy")
    ids = codedeploy.list_deployments(applicationName=outputs["codedeploy_app_name"],
                                      deploymentGroupName=outputs["codedeploy_deployment_group_name"])["deployments"]
    if not check(len(ids) == 1, "one CodeDeploy deployment was created"):
        return
    info = codedeploy.get_deployment(deploymentId=ids[0])["deploymentInfo"]
    content = info["revision"]["appSpecContent"]["content"]
    revision = revisions(outputs["task_definition_family"])[-1]
    check(f"TaskDefinition: {revision}" in content, "its AppSpec names the new revision")
    check("ContainerName: app" in content and "ContainerPort: 8080" in content, "its AppSpec routes to the app container's port 8080")
    check(app_image(definition(revision)) == f"{outputs['ecr_repository_url']}@{digest}", "the new revision carries the digest")
    check(service_state(outputs) == before, "the service itself is left to CodeDeploy (no rolling update)")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("rolling", "blue-green"):
        sys.exit(__doc__)
    {"rolling": rolling, "blue-green": blue_green}[sys.argv[1]](sys.argv[2])
    for message in failures:
        print(f"pipeline check FAILED: {message}", file=sys.stderr)
    print(f"pipeline ({sys.argv[1]}): {len(passed)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
