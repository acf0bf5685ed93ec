# The roles the deploy workflow runs Terraform with: NAME-github-terraform applies the
# environment (its jobs are gated like the deploy role's), NAME-github-plan only plans it
# (the plan job, in an environment without reviewers, whose summary the reviewers read).
# Both exist once the first apply has been made by hand (docs/pipeline.md).

locals {
  # The policies below are only attached when terraform_state is set.
  state            = var.terraform_state == null ? { bucket = "", key = "", kms_key_arn = "" } : var.terraform_state
  state_bucket_arn = "arn:${local.partition}:s3:::${local.state.bucket}"
  state_object_arn = "${local.state_bucket_arn}/${local.state.key}"
  # The S3 backend's use_lockfile writes a lock object beside the state.
  lock_object_arn = "${local.state_object_arn}.tflock"

  state_key_statement = {
    # The backend encrypts the state and its lock object with this key.
    Sid      = "UseTheStateKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    Resource = local.state.kms_key_arn
  }
  lock_statement = {
    Sid      = "TakeTheStateLock"
    Effect   = "Allow"
    Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    Resource = local.lock_object_arn
  }
  list_state_statement = {
    # The backend lists the key's prefix (workspaces); nothing else of the bucket.
    Sid      = "ListTheState"
    Effect   = "Allow"
    Action   = "s3:ListBucket"
    Resource = local.state_bucket_arn
    Condition = {
      StringLike = { "s3:prefix" = [local.state.key, "${dirname(local.state.key)}/*"] }
    }
  }

  # The services whose resources the stack declares (infra/check_terraform_role.py
  # keeps this list and the modules' resource types in step). Their actions are
  # allowed in the stack's region only.
  stack_services = [
    "application-autoscaling", "cloudwatch", "codedeploy", "ec2", "ecr", "ecs",
    "elasticloadbalancing", "kms", "logs", "rds", "secretsmanager", "sns", "wafv2",
  ]
  name_arn_prefix = "arn:${local.partition}:iam::${local.account_id}"

  # The role cannot widen itself, nor another stack's Terraform role whose name the
  # NAME-* prefix happens to match (hello-service-dev-eu-github-terraform): a change to
  # one is applied by an administrator. Nor pass one to a service.
  protect_terraform_roles_statement = {
    Sid      = "NeverChangeATerraformRole"
    Effect   = "Deny"
    Action   = ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole", "iam:UpdateRole", "iam:PassRole"]
    Resource = "${local.name_arn_prefix}:role/*-github-terraform"
  }
  # kms:* covers every key of the region: the state's key stays usable.
  protect_state_key_statement = {
    Sid      = "NeverDisableTheStateKey"
    Effect   = "Deny"
    Action   = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:RevokeGrant"]
    Resource = local.state.kms_key_arn
  }

  buckets_statement = {
    # The ALB's access log bucket: the stack's buckets are named after it.
    Sid      = "TheStacksBuckets"
    Effect   = "Allow"
    Action   = "s3:*"
    Resource = ["arn:${local.partition}:s3:::${var.name}-*", "arn:${local.partition}:s3:::${var.name}-*/*"]
  }

  terraform_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadAndWriteTheState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = local.state_object_arn
      },
      local.lock_statement,
      local.list_state_statement,
      local.state_key_statement,
      {
        Sid       = "ManageTheStacksServicesInItsRegion"
        Effect    = "Allow"
        Action    = [for s in local.stack_services : "${s}:*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestedRegion" = local.region } }
      },
      local.buckets_statement,
      {
        Sid      = "ManageTheStacksBudget"
        Effect   = "Allow"
        Action   = ["budgets:ViewBudget", "budgets:ModifyBudget", "budgets:ListTagsForResource", "budgets:TagResource", "budgets:UntagResource"]
        Resource = "arn:${local.partition}:budgets::${local.account_id}:budget/${var.name}-*"
      },
      {
        Sid    = "ManageTheStacksRoles"
        Effect = "Allow"
        Action = [
          "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
          "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
          "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole", "iam:PassRole",
        ]
        Resource = "${local.name_arn_prefix}:role/${var.name}-*"
      },
      {
        # What gives a role its permissions: only for a role that carries the stack's
        # boundary, so that no role this one makes can do more than the boundary allows.
        Sid    = "GrantOnlyWithinTheBoundary"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:PutRolePermissionsBoundary",
          "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
        ]
        Resource  = "${local.name_arn_prefix}:role/${var.name}-*"
        Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arn } }
      },
      {
        Sid      = "ReadTheBoundary"
        Effect   = "Allow"
        Action   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags"]
        Resource = local.boundary_arn
      },
      {
        # Taking a boundary off would leave the role unbounded.
        Sid      = "NeverRemoveTheBoundary"
        Effect   = "Deny"
        Action   = "iam:DeleteRolePermissionsBoundary"
        Resource = "${local.name_arn_prefix}:role/${var.name}-*"
      },
      {
        # Widening the boundary is an administrator's apply, like a change to this role.
        Sid      = "NeverChangeTheBoundary"
        Effect   = "Deny"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"]
        Resource = local.boundary_arn
      },
      {
        Sid      = "ManageGitHubsOidcProvider"
        Effect   = "Allow"
        Action   = ["iam:CreateOpenIDConnectProvider", "iam:GetOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"]
        Resource = "${local.name_arn_prefix}:oidc-provider/${local.github_oidc_host}"
      },
      {
        # ECS, the load balancer, RDS, autoscaling, WAF and ECR's replication create
        # their service-linked roles on first use in an account.
        Sid      = "CreateTheServicesLinkedRoles"
        Effect   = "Allow"
        Action   = "iam:CreateServiceLinkedRole"
        Resource = "${local.name_arn_prefix}:role/aws-service-role/*"
        Condition = {
          StringEquals = {
            "iam:AWSServiceName" = [
              "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com",
              "ecs.application-autoscaling.amazonaws.com", "wafv2.amazonaws.com",
              "replication.ecr.amazonaws.com",
            ]
          }
        }
      },
      local.protect_terraform_roles_statement,
      local.protect_state_key_statement,
    ]
  }

  plan_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheState"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = local.state_object_arn
      },
      local.lock_statement,
      local.list_state_statement,
      local.state_key_statement,
      {
        # ReadOnlyAccess reads objects and secrets a plan never needs: only the state.
        Sid         = "ReadNoOtherObject"
        Effect      = "Deny"
        Action      = "s3:GetObject"
        NotResource = [local.state_object_arn, local.lock_object_arn]
      },
      {
        Sid      = "ReadNoSecret"
        Effect   = "Deny"
        Action   = ["secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
        Resource = "*"
      },
    ]
  }
}

resource "aws_iam_role" "terraform" {
  count = var.terraform_state == null ? 0 : 1

  name                 = "${var.name}-github-terraform"
  description          = "Assumed by the deploy workflow of ${var.github_repository} to apply the ${var.name} stack."
  assume_role_policy   = local.trust.terraform
  max_session_duration = 3600

  tags = {
    Name = "${var.name}-github-terraform"
  }
}

resource "aws_iam_role_policy" "terraform" {
  count = var.terraform_state == null ? 0 : 1

  name   = "apply-the-stack"
  role   = aws_iam_role.terraform[0].id
  policy = jsonencode(local.terraform_policy)
}

resource "aws_iam_role" "plan" {
  count = var.plan_environment == null ? 0 : 1

  name                 = "${var.name}-github-plan"
  description          = "Assumed by the plan job of ${var.github_repository}'s deploy workflow to plan the ${var.name} stack, read-only."
  assume_role_policy   = local.trust.plan
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn

  tags = {
    Name = "${var.name}-github-plan"
  }
}

# A plan refreshes every resource of the stack, so it reads them all; the inline
# policy below takes back what the managed one reads beyond them.
resource "aws_iam_role_policy_attachment" "plan_read_only" {
  count = var.plan_environment == null ? 0 : 1

  role       = aws_iam_role.plan[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "plan" {
  count = var.plan_environment == null ? 0 : 1

  name   = "plan-the-stack"
  role   = aws_iam_role.plan[0].id
  policy = jsonencode(local.plan_policy)
}
