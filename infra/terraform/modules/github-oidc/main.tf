locals {
  github_oidc_host = "token.actions.githubusercontent.com"

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  # Exact subjects: the branch for jobs without an environment, and one per GitHub
  # environment (whose protection rules then gate the deploy), bound to
  # environment_branch when it is set. Pull requests, other branches and forks get
  # none of them. Release tags reach the push role alone (an image build of a v* tag
  # carries the tag where a branch's job has the branch): a tag can build and push an
  # image, never deploy one. The plan role's subject is the plan environment's, bound
  # the same way.
  environment_ref = var.environment_branch == null ? "" : ":ref:refs/heads/${var.environment_branch}"
  # The Terraform role never takes the branch subject: only a gated environment's jobs.
  environment_subjects = [for e in var.github_environments : "repo:${var.github_repository}:environment:${e}${local.environment_ref}"]
  subjects = concat(
    [for branch in var.branch == null ? [] : [var.branch] : "repo:${var.github_repository}:ref:refs/heads/${branch}"],
    local.environment_subjects,
  )
  tag_subjects = var.release_tag_pattern == null || var.environment_branch == null ? [] : [
    for e in var.github_environments : "repo:${var.github_repository}:environment:${e}:ref:refs/tags/${var.release_tag_pattern}"
  ]
  plan_subjects = [
    for e in var.plan_environment == null ? [] : [var.plan_environment] : "repo:${var.github_repository}:environment:${e}${local.environment_ref}"
  ]

  # arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME
  cluster_arn_parts = split(":", var.ecs_cluster_arn)
  partition         = local.cluster_arn_parts[1]
  region            = local.cluster_arn_parts[3]
  account_id        = local.cluster_arn_parts[4]
  cluster_name      = trimprefix(local.cluster_arn_parts[5], "cluster/")

  service_arn = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${local.cluster_name}/${var.ecs_service_name}"

  codedeploy_arn_prefix = "arn:${local.partition}:codedeploy:${local.region}:${local.account_id}"

  # The subjects each role accepts. Only a tag pattern holds a wildcard (the exact
  # variables reject one), and it needs StringLike.
  role_subjects = {
    deploy    = local.subjects
    push      = concat(local.subjects, local.tag_subjects)
    terraform = local.environment_subjects
    plan      = local.plan_subjects
  }
  like = { for role, subjects in local.role_subjects : role => anytrue([for s in subjects : strcontains(s, "*")]) }
  trust = {
    for role, subjects in local.role_subjects : role => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "GitHubActionsOfOneRepository"
          Effect    = "Allow"
          Principal = { Federated = local.oidc_provider_arn }
          Action    = "sts:AssumeRoleWithWebIdentity"
          Condition = merge(
            { StringEquals = merge({ "${local.github_oidc_host}:aud" = "sts.amazonaws.com" }, local.like[role] ? {} : { "${local.github_oidc_host}:sub" = subjects }) },
            local.like[role] ? { StringLike = { "${local.github_oidc_host}:sub" = subjects } } : {},
          )
        },
      ]
    })
  }

  push_statements = [
    {
      # GetAuthorizationToken has no resource to name: AWS accepts only "*".
      Sid      = "LogInToEcr"
      Effect   = "Allow"
      Action   = "ecr:GetAuthorizationToken"
      Resource = "*"
    },
    {
      Sid    = "PushToTheRepository"
      Effect = "Allow"
      Action = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        # Reads, so that a build can reuse layers and a workflow can check
        # whether an image tag already exists (tags are immutable).
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:DescribeImages",
        "ecr:ListImages",
      ]
      Resource = var.ecr_repository_arn
    },
  ]

  deploy_service_statements = [
    {
      # Task definitions cannot be named in a policy before they exist, so
      # AWS accepts only "*" for these two actions.
      Sid    = "RegisterTaskDefinitions"
      Effect = "Allow"
      Action = [
        "ecs:RegisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
      ]
      Resource = "*"
    },
    {
      Sid    = "DeployTheService"
      Effect = "Allow"
      Action = [
        "ecs:UpdateService",
        "ecs:DescribeServices",
      ]
      Resource = local.service_arn
    },
    {
      Sid      = "PassTheTaskRolesToEcsOnly"
      Effect   = "Allow"
      Action   = "iam:PassRole"
      Resource = var.pass_role_arns
      Condition = {
        StringEquals = {
          "iam:PassedToService" = "ecs-tasks.amazonaws.com"
        }
      }
    },
  ]

  # A promotion copies the image, by digest, from the environment before this one.
  image_source_statements = var.image_source_repository_arn == null ? [] : [
    {
      Sid    = "PullTheImageToPromote"
      Effect = "Allow"
      Action = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:DescribeImages",
      ]
      Resource = var.image_source_repository_arn
    },
  ]

  codedeploy_statements = var.codedeploy_app_name == null ? [] : [
    {
      Sid    = "DeployThroughCodeDeploy"
      Effect = "Allow"
      Action = [
        "codedeploy:RegisterApplicationRevision",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        # So that a cancelled workflow can stop the deployment it started.
        "codedeploy:StopDeployment",
        "codedeploy:GetDeploymentConfig",
      ]
      Resource = [
        "${local.codedeploy_arn_prefix}:application:${var.codedeploy_app_name}",
        "${local.codedeploy_arn_prefix}:deploymentgroup:${var.codedeploy_app_name}/*",
        # Deployment configurations (for example CodeDeployDefault.ECSAllAtOnce)
        # are read by name when a deployment is created; reading them is harmless.
        "${local.codedeploy_arn_prefix}:deploymentconfig:*",
      ]
    },
  ]

  # The migration runs before a new image takes traffic, as a one-off task of the
  # service's own family in the service's own cluster.
  task_family = var.task_definition_family == null ? "" : var.task_definition_family
  run_task_statements = [for statement in [
    {
      Sid      = "RunTheMigrationTask"
      Effect   = "Allow"
      Action   = "ecs:RunTask"
      Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${local.task_family}:*"
      Condition = {
        ArnEquals = { "ecs:cluster" = var.ecs_cluster_arn }
      }
    },
    {
      Sid    = "WatchTheMigrationTask"
      Effect = "Allow"
      Action = [
        "ecs:DescribeTasks",
        "ecs:StopTask",
      ]
      Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${local.cluster_name}/*"
    },
    {
      # A task definition registered with tags (the deploy copies the current one)
      # needs the tagging permission on the family too.
      Sid      = "TagTheTaskDefinitions"
      Effect   = "Allow"
      Action   = "ecs:TagResource"
      Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${local.task_family}:*"
    },
  ] : statement if var.task_definition_family != null]

  deploy_policy = {
    Version   = "2012-10-17"
    Statement = concat(local.push_statements, local.deploy_service_statements, local.image_source_statements, local.codedeploy_statements, local.run_task_statements)
  }
}

# AWS verifies GitHub's token signing certificate against its own trusted
# root CAs, so no thumbprint is given: in provider 5.100 thumbprint_list is
# optional and computed, and IAM fills in a value it no longer uses for GitHub.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = {
    Name = "github-actions"
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-github-deploy"
  description          = "Assumed by GitHub Actions of ${var.github_repository} to push images and deploy ${var.ecs_service_name}."
  assume_role_policy   = local.trust.deploy
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn

  tags = {
    Name = "${var.name}-github-deploy"
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "push-and-deploy"
  role   = aws_iam_role.deploy.id
  policy = jsonencode(local.deploy_policy)
}

# The image workflow's role: push to and read the repository, nothing else. Release
# tags may assume it (a v* tag's image build), never the deploy role.
resource "aws_iam_role" "push" {
  count = var.push_role ? 1 : 0

  name                 = "${var.name}-github-push"
  description          = "Assumed by the image workflow of ${var.github_repository} to push images to ${var.name}'s repository."
  assume_role_policy   = local.trust.push
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn

  tags = {
    Name = "${var.name}-github-push"
  }
}

resource "aws_iam_role_policy" "push" {
  count = var.push_role ? 1 : 0

  name   = "push"
  role   = aws_iam_role.push[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.push_statements })
}
