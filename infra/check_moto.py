"""Checks the dev environment that infra/test applied to moto, from two sides.

The plan: every resource that takes tags carries the five default tags (through the
provider's default_tags, so no module can forget them). The result: what the AWS APIs
answer matches the contract in DESIGN.md (ports, health path, the task's hardening, the
database's managed secret).

    python infra/check_moto.py PLAN.json OUTPUTS.json

Runs with the moto virtualenv's Python (boto3); AWS_ENDPOINT_URL points at moto.
"""

import json
import sys

import boto3

DEFAULT_TAGS = {"Environment", "Project", "Owner", "CostCenter", "ManagedBy"}
APP_PORT = 8080
ADMIN_PORT = 9090

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def tags_in_plan(plan):
    """Every planned resource with a tags_all attribute has the default tags in it."""
    checked = 0
    for change in plan["resource_changes"]:
        if change["mode"] != "managed":
            continue
        after = change["change"].get("after") or {}
        if "tags_all" not in after:
            continue
        checked += 1
        tags = set((after.get("tags_all") or {}).keys())
        check(DEFAULT_TAGS <= tags, f"{change['address']} lacks {sorted(DEFAULT_TAGS - tags)}")
    check(checked > 50, f"only {checked} taggable resources in the plan")
    return checked


def service(outputs):
    ecs = boto3.client("ecs")
    cluster, name = outputs["cluster_name"]["value"], outputs["service_name"]["value"]
    described = ecs.describe_services(cluster=cluster, services=[name])["services"]
    check(len(described) == 1, f"service {name} not found in cluster {cluster}")
    svc = described[0]
    check(svc["desiredCount"] >= 1, f"desired count {svc['desiredCount']}")
    check(svc["loadBalancers"][0]["containerPort"] == APP_PORT, "the target group is not on the app port")
    network = svc["networkConfiguration"]["awsvpcConfiguration"]
    check(network["assignPublicIp"] == "DISABLED", "tasks get public IPs")

    task = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    app = next(c for c in task["containerDefinitions"] if c["name"] == "app")
    check(app.get("readonlyRootFilesystem") is True, "the app's root filesystem is writable")
    check(app.get("user") == "65532:65532", f"the app runs as {app.get('user')}")
    check(app.get("privileged") in (None, False), "the app is privileged")
    check(app.get("stopTimeout") == 30, f"stopTimeout {app.get('stopTimeout')}, not 25 s + 5 s")
    check("healthcheck" in " ".join(app["healthCheck"]["command"]), "no healthcheck command")
    env = {e["name"]: e["value"] for e in app["environment"]}
    check(env.get("APP_LISTEN_ADDR") == f"0.0.0.0:{APP_PORT}", "APP_LISTEN_ADDR")
    check(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://127.0.0.1:4317", "OTLP endpoint")
    check("@" not in env.get("DATABASE_URL", "@"), "DATABASE_URL missing or holds credentials")
    check(env.get("APP_SECRET_ID", "").startswith("arn:"), "APP_SECRET_ID is not the database secret")
    check(any(c["name"] != "app" for c in task["containerDefinitions"]), "no collector sidecar")
    return svc


def load_balancer(svc):
    elb = boto3.client("elbv2")
    ec2 = boto3.client("ec2")
    group = elb.describe_target_groups(TargetGroupArns=[svc["loadBalancers"][0]["targetGroupArn"]])["TargetGroups"][0]
    check(group["HealthCheckPath"] == "/health", f"health check path {group['HealthCheckPath']}")
    check(group["Port"] == APP_PORT, f"target group port {group['Port']}")
    lb = elb.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"])["LoadBalancers"][0]
    for sg in ec2.describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]:
        for rule in sg["IpPermissionsEgress"]:
            low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
            check(not low <= ADMIN_PORT <= high, f"the ALB's security group {sg['GroupId']} reaches port {ADMIN_PORT}")
    ports = sorted(listener["Port"] for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"])
    check(ports == [80, 443], f"listeners on {ports}")


def database():
    instances = boto3.client("rds").describe_db_instances()["DBInstances"]
    check(len(instances) == 1, f"{len(instances)} database instances")
    for db in instances:
        check(db.get("StorageEncrypted") is True, "database storage not encrypted")
        check(db.get("PubliclyAccessible") is False, "database publicly accessible")
        check("MasterUserSecret" in db, "the master password is not managed in Secrets Manager")


def main():
    plan = json.load(open(sys.argv[1]))
    outputs = json.loads(sys.argv[2])
    tagged = tags_in_plan(plan)
    svc = service(outputs)
    load_balancer(svc)
    database()
    repository = outputs["ecr_repository_url"]["value"].split("/", 1)[1]
    repo = boto3.client("ecr").describe_repositories(repositoryNames=[repository])["repositories"][0]
    check(repo["imageTagMutability"] == "IMMUTABLE", "image tags are mutable")
    if failures:
        for failure in failures:
            print(f"moto check: {failure}", file=sys.stderr)
        sys.exit(1)
    print(f"moto check: {tagged} taggable resources carry the default tags; service, task, ALB, database and repository as designed")


if __name__ == "__main__":
    main()
