"""Checks what infra/test planned and applied against moto.

    python infra/check_moto.py tags PLAN.json...              # the default tags
    python infra/check_moto.py applied OUTPUTS.json           # dev, read back from AWS
    python infra/check_moto.py options OUTPUTS.json           # dev with its options on
    python infra/check_moto.py left-out PLAN.json...          # what the plans left out
    python infra/check_moto.py terraform-role OUTPUTS.json PLAN.json  # the pipeline's roles

tags: every resource that takes tags carries the five default tags, as the real
provider merges the default_tags into tags_all (a mocked provider computes none).
applied, options: what the AWS APIs answer matches the contract in docs/design.md (ports,
health path, the task's hardening, the database's managed secret; with the options on,
the CodeDeploy blue/green wiring and the repository's replication). left-out: the
resource types of the configuration that none of the plans holds; each must be one
moto cannot do, with its reason in LEFT_OUT. terraform-role: the roles the deploy
workflow runs Terraform with exist, trusted by the environment's jobs (apply) and by
its plan environment's (plan), and the Terraform role may use the IAM service of every
resource type the configuration declares (IAM_SERVICES maps one to the other).

Runs with the moto virtualenv's Python (boto3); AWS_ENDPOINT_URL points at moto.
"""

import json
import sys

import boto3

DEFAULT_TAGS = {"Environment", "Project", "Owner", "CostCenter", "ManagedBy"}
APP_PORT = 8080
ADMIN_PORT = 9090

# What the moto run leaves out, and why: the dev environment's switches for an
# emulator turn them off (docs/infrastructure.md).
LEFT_OUT = {
    "aws_appautoscaling_target": "moto lacks the tag API the provider calls, and the apply hangs",
    "aws_appautoscaling_policy": "needs the autoscaling target",
    "aws_budgets_budget": "moto does not implement budgets",
}

# The IAM service of each resource type, by the longest prefix of its name: a new type
# fails the terraform-role check until it is mapped here and its service is given to
# the Terraform role (infra/terraform/modules/github-oidc/terraform.tf).
IAM_SERVICES = {
    "aws_appautoscaling_": "application-autoscaling",
    "aws_budgets_": "budgets",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_": "cloudwatch",
    "aws_codedeploy_": "codedeploy",
    "aws_db_": "rds",
    "aws_default_security_group": "ec2",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_eip": "ec2",
    "aws_flow_log": "ec2",
    "aws_iam_": "iam",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_lb": "elasticloadbalancing",
    "aws_nat_gateway": "ec2",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_sns_": "sns",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
}

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


def blue_green(outputs):
    """The service is deployed by CodeDeploy: two target groups, the test listener, rollback."""
    cluster, name = outputs["cluster_name"]["value"], outputs["service_name"]["value"]
    svc = boto3.client("ecs").describe_services(cluster=cluster, services=[name])["services"][0]
    check(svc["status"] == "ACTIVE", f"the service is {svc['status']}")
    check(svc.get("deploymentController", {}).get("type") == "CODE_DEPLOY", "the service is not under CodeDeploy")
    codedeploy = boto3.client("codedeploy")
    applications = codedeploy.list_applications()["applications"]
    check(len(applications) == 1, f"{len(applications)} CodeDeploy applications")
    group_name = outputs["codedeploy_deployment_group_name"]["value"]
    group = codedeploy.get_deployment_group(applicationName=applications[0], deploymentGroupName=group_name)["deploymentGroupInfo"]
    check(group["deploymentStyle"]["deploymentType"] == "BLUE_GREEN", "not a blue/green deployment group")
    rollback = group.get("autoRollbackConfiguration", {})
    check(rollback.get("enabled") and "DEPLOYMENT_STOP_ON_ALARM" in rollback.get("events", []), "no automatic rollback on alarms")
    pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    check(len(pair["targetGroups"]) == 2, "not two target groups")
    elb = boto3.client("elbv2")
    for route, port in (("prodTrafficRoute", 443), ("testTrafficRoute", 8443)):
        arn = pair[route]["listenerArns"][0]
        listener = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
        check(listener["Port"] == port, f"{route} is on port {listener['Port']}, not {port}")


def replication(outputs):
    """The registry replicates the service's repository to the second region."""
    repository = outputs["ecr_repository_url"]["value"].split("/", 1)[1]
    rules = boto3.client("ecr").describe_registry()["replicationConfiguration"]["rules"]
    check(len(rules) == 1, f"{len(rules)} replication rules")
    for rule in rules:
        check([d["region"] for d in rule["destinations"]] == ["eu-central-1"], f"replicated to {rule['destinations']}")
        check(rule["repositoryFilters"] == [{"filter": repository, "filterType": "PREFIX_MATCH"}], f"filters {rule['repositoryFilters']}")


def left_out(plans):
    """The managed resource types of the configuration that no plan holds."""
    configured = set().union(*(configured_types(plan) for plan in plans))
    planned = {c["type"] for plan in plans for c in plan["resource_changes"] if c["mode"] == "managed"}
    missing = configured - planned
    for kind in sorted(missing - LEFT_OUT.keys()):
        check(False, f"{kind} is in the configuration but in no plan applied to moto")
    return sorted(missing)


def configured_types(plan):
    kinds = set()

    def walk(module):
        kinds.update(r["type"] for r in module.get("resources", []) if r["mode"] == "managed")
        for call in module.get("module_calls", {}).values():
            walk(call["module"])

    walk(plan["configuration"]["root_module"])
    return kinds


def as_list(value):
    """A policy's Action or Resource, which is a string or a list of them."""
    return [] if value is None else [value] if isinstance(value, str) else value


def role_documents(arn):
    iam = boto3.client("iam")
    name = arn.rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    policies = [iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
    attached = [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    return trust, [s for p in policies for s in p["Statement"]], attached


def subjects(trust, operator="StringEquals"):
    condition = trust["Statement"][0]["Condition"]
    return condition.get(operator, {}).get("token.actions.githubusercontent.com:sub") or []


def boundaries(prefix, unbounded):
    """Every role named PREFIX*, except UNBOUNDED, carries the stack's permissions boundary."""
    iam = boto3.client("iam")
    expected = f"{prefix}permissions-boundary"
    roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]
             if r["RoleName"].startswith(prefix) and r["RoleName"] != unbounded]
    for name in roles:
        boundary = iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
        check(boundary.endswith(f":policy/{expected}"), f"the role {name} carries no stack boundary ({boundary or 'none'})")
    return len(roles)


def terraform_role(outputs, plan):
    """The roles the deploy workflow runs Terraform with, as moto holds them."""
    repository = "hello-service/hello-service"
    arn = outputs["terraform_role_arn"]["value"]
    trust, statements, _ = role_documents(arn)
    check(subjects(trust) == [f"repo:{repository}:environment:dev:ref:refs/heads/main"],
          f"the Terraform role trusts {subjects(trust)}")
    grants = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
    for s in statements:
        if s["Effect"] == "Allow" and grants & set(as_list(s["Action"])):
            boundary = s.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary", "")
            check(boundary.endswith(":policy/hello-service-dev-permissions-boundary"),
                  f"the Terraform role may grant {sorted(grants & set(as_list(s['Action'])))} without the boundary")
    allowed = {a.split(":")[0] for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    services = set()
    for kind in sorted(configured_types(plan)):
        prefix = max((p for p in IAM_SERVICES if kind.startswith(p)), key=len, default=None)
        check(prefix is not None, f"{kind}: no IAM service in IAM_SERVICES (map it, and give it to the Terraform role)")
        if prefix is not None:
            services.add(IAM_SERVICES[prefix])
    for service in sorted(services - allowed):
        check(False, f"the Terraform role may not use {service}, which the stack's resources need")
    check(any(s["Effect"] == "Allow" and "s3:PutObject" in as_list(s["Action"])
              and any(r.endswith("/hello-service/dev/terraform.tfstate") for r in as_list(s.get("Resource")))
              for s in statements), "the Terraform role may not write dev's state")

    trust, statements, attached = role_documents(outputs["plan_role_arn"]["value"])
    check(subjects(trust) == [f"repo:{repository}:environment:dev-plan:ref:refs/heads/main"],
          f"the plan role trusts {subjects(trust)}")
    check(attached == ["arn:aws:iam::aws:policy/ReadOnlyAccess"], f"the plan role has {attached}")
    writes = [r for s in statements if s["Effect"] == "Allow" and "s3:PutObject" in as_list(s["Action"])
              for r in as_list(s.get("Resource"))]
    check(writes and all(r.endswith(".tflock") for r in writes), f"the plan role may write {writes}, not the lock alone")

    trust, _, _ = role_documents(outputs["deploy_role_arn"]["value"])
    check(subjects(trust) == [f"repo:{repository}:environment:dev:ref:refs/heads/main"] and not subjects(trust, "StringLike"),
          f"the deploy role trusts {subjects(trust) + subjects(trust, 'StringLike')}, not main's dev jobs alone")
    trust, statements, attached = role_documents(outputs["push_role_arn"]["value"])
    check(subjects(trust, "StringLike") == [f"repo:{repository}:environment:dev:ref:refs/heads/main",
                                            f"repo:{repository}:environment:dev:ref:refs/tags/v*"],
          f"the push role trusts {subjects(trust, 'StringLike')}")
    pushes = {a.split(":")[0] for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    check(pushes == {"ecr"} and not attached, f"the push role may use {sorted(pushes)} and {attached}, not ECR alone")
    return len(services), boundaries("hello-service-dev-", "hello-service-dev-github-terraform")


def finish(summary):
    if failures:
        for failure in failures:
            print(f"moto check: {failure}", file=sys.stderr)
        sys.exit(1)
    print(f"moto check: {summary}")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "tags":
        counts = [tags_in_plan(json.load(open(path))) for path in args]
        finish(f"{' + '.join(map(str, counts))} taggable resources carry the default tags")
    elif command == "applied":
        outputs = json.loads(args[0])
        svc = service(outputs)
        load_balancer(svc)
        database()
        repository = outputs["ecr_repository_url"]["value"].split("/", 1)[1]
        repo = boto3.client("ecr").describe_repositories(repositoryNames=[repository])["repositories"][0]
        check(repo["imageTagMutability"] == "IMMUTABLE", "image tags are mutable")
        finish("service, task, ALB, database and repository as designed")
    elif command == "options":
        outputs = json.loads(args[0])
        blue_green(outputs)
        replication(outputs)
        finish("blue/green: the service under CodeDeploy, two target groups, test listener on 8443, rollback on alarms; the repository replicated")
    elif command == "left-out":
        missing = left_out([json.load(open(path)) for path in args])
        finish("left out: " + "; ".join(f"{kind} ({LEFT_OUT[kind]})" for kind in missing if kind in LEFT_OUT))
    elif command == "terraform-role":
        count, bounded = terraform_role(json.loads(open(args[0]).read()), json.load(open(args[1])))
        finish(f"the Terraform role covers the {count} services of the stack's resource types and grants only within the boundary, "
               f"which the stack's {bounded} other roles carry; the plan role reads, and writes only the lock; "
               "release tags may push, never deploy")
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
