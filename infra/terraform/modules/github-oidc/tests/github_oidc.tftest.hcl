# Unit tests of the github-oidc module with a mocked AWS provider. The
# policies are built with jsonencode in the module, so the tests decode and
# check the real documents.

mock_provider "aws" {
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/hello-service-dev-github-deploy"
    }
  }

  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::123456789012:policy/hello-service-dev-permissions-boundary"
    }
  }
}

variables {
  name                = "hello-service-dev"
  github_repository   = "example-org/hello-service"
  branch              = "main"
  github_environments = ["dev", "staging", "prod"]
  ecr_repository_arn  = "arn:aws:ecr:eu-west-1:123456789012:repository/hello-service"
  ecs_cluster_arn     = "arn:aws:ecs:eu-west-1:123456789012:cluster/hello-service-dev"
  ecs_service_name    = "hello-service-dev"
  pass_role_arns = [
    "arn:aws:iam::123456789012:role/hello-service-dev-task",
    "arn:aws:iam::123456789012:role/hello-service-dev-execution",
  ]
}

run "trust_policy_accepts_only_the_branch_and_the_environments" {
  command = apply

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1 && aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "The GitHub OIDC provider must be created by default."
  }

  assert {
    condition     = toset(aws_iam_openid_connect_provider.github[0].client_id_list) == toset(["sts.amazonaws.com"])
    error_message = "The only audience must be sts.amazonaws.com."
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement) == 1
    error_message = "The trust policy must have a single statement."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Effect == "Allow" &&
      jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
      jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn
    )
    error_message = "Only web identities of the GitHub provider may assume the role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "The audience must be sts.amazonaws.com."
  }

  assert {
    condition = toset(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]) == toset([
      "repo:example-org/hello-service:ref:refs/heads/main",
      "repo:example-org/hello-service:environment:dev",
      "repo:example-org/hello-service:environment:staging",
      "repo:example-org/hello-service:environment:prod",
    ])
    error_message = "The subjects must be exactly the branch and the three environments."
  }

  assert {
    condition     = keys(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition) == ["StringEquals"]
    error_message = "Subjects must be compared exactly (StringEquals), never with wildcards (StringLike)."
  }

  assert {
    condition     = output.deploy_role_arn == aws_iam_role.deploy.arn && output.oidc_provider_arn == aws_iam_openid_connect_provider.github[0].arn
    error_message = "The outputs must expose the role and the provider."
  }
}

run "permissions_name_their_resources" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement :
      s.Resource != "*" if !contains(["LogInToEcr", "RegisterTaskDefinitions"], s.Sid)
    ])
    error_message = "Only GetAuthorizationToken and the task definition actions may use Resource \"*\"."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "PushToTheRepository"
    ]) == "arn:aws:ecr:eu-west-1:123456789012:repository/hello-service"
    error_message = "Pushing must be allowed to the one repository only."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "DeployTheService"
    ]) == "arn:aws:ecs:eu-west-1:123456789012:service/hello-service-dev/hello-service-dev"
    error_message = "Service updates must be allowed on the one service only (ARN derived from the cluster ARN)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassTheTaskRolesToEcsOnly"
    ]) == "ecs-tasks.amazonaws.com"
    error_message = "The task roles may be passed to ECS tasks only."
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "PassTheTaskRolesToEcsOnly"
    ])) == toset(var.pass_role_arns)
    error_message = "Only the two task roles may be passed."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Sid == "DeployThroughCodeDeploy"])
    error_message = "Without codedeploy_app_name there must be no CodeDeploy permission."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : [
        for a in flatten([s.Action]) : !strcontains(a, "*")
      ]
    ]))
    error_message = "No action may be a wildcard."
  }
}

run "codedeploy_permissions_for_the_one_app" {
  command = plan

  variables {
    codedeploy_app_name = "hello-service-dev"
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Resource if s.Sid == "DeployThroughCodeDeploy"
      ])) == toset([
      "arn:aws:codedeploy:eu-west-1:123456789012:application:hello-service-dev",
      "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:hello-service-dev/*",
      "arn:aws:codedeploy:eu-west-1:123456789012:deploymentconfig:*",
    ])
    error_message = "CodeDeploy permissions must name the one application and its deployment groups."
  }

  assert {
    condition = contains(one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s.Action if s.Sid == "DeployThroughCodeDeploy"
    ]), "codedeploy:CreateDeployment")
    error_message = "The role must be able to create deployments."
  }
}

run "branch_only_when_no_environments" {
  command = plan

  variables {
    github_environments = []
    branch              = "release/v1"
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:example-org/hello-service:ref:refs/heads/release/v1"]
    error_message = "Without environments, only the branch subject may be accepted."
  }
}

run "existing_provider_is_reused" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "No provider may be created when one is passed in."
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "The trust policy must name the provider that was passed in."
  }
}

run "rejects_a_missing_provider_arn" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  expect_failures = [var.oidc_provider_arn]
}

run "rejects_a_provider_arn_next_to_a_created_provider" {
  command = plan

  variables {
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  expect_failures = [var.oidc_provider_arn]
}

run "rejects_another_oidc_provider" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
  }

  expect_failures = [var.oidc_provider_arn]
}

run "rejects_a_wildcard_repository" {
  command = plan

  variables {
    github_repository = "example-org/*"
  }

  expect_failures = [var.github_repository]
}

run "rejects_a_repository_without_owner" {
  command = plan

  variables {
    github_repository = "hello-service"
  }

  expect_failures = [var.github_repository]
}

run "rejects_a_wildcard_branch" {
  command = plan

  variables {
    branch = "*"
  }

  expect_failures = [var.branch]
}

run "rejects_a_full_ref_as_branch" {
  command = plan

  variables {
    branch = "refs/heads/main"
  }

  expect_failures = [var.branch]
}

run "rejects_a_wildcard_environment" {
  command = plan

  variables {
    github_environments = ["dev", "*"]
  }

  expect_failures = [var.github_environments]
}

run "rejects_no_pass_roles" {
  command = plan

  variables {
    pass_role_arns = []
  }

  expect_failures = [var.pass_role_arns]
}

run "rejects_a_wildcard_pass_role" {
  command = plan

  variables {
    pass_role_arns = ["arn:aws:iam::123456789012:role/*"]
  }

  expect_failures = [var.pass_role_arns]
}

run "rejects_a_non_cluster_arn" {
  command = plan

  variables {
    ecs_cluster_arn = "hello-service-dev"
  }

  expect_failures = [var.ecs_cluster_arn]
}

run "rejects_a_non_repository_arn" {
  command = plan

  variables {
    ecr_repository_arn = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service"
  }

  expect_failures = [var.ecr_repository_arn]
}

run "environments_only_when_the_branch_is_null" {
  command = plan

  variables {
    branch              = null
    github_environments = ["prod"]
  }

  assert {
    condition     = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:example-org/hello-service:environment:prod"]
    error_message = "With no branch, only the environment's jobs (behind its protection rules) may assume the role."
  }
}

run "environments_bound_to_a_branch" {
  command = plan

  variables {
    branch              = null
    github_environments = ["staging", "prod"]
    environment_branch  = "main"
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:environment:staging:ref:refs/heads/main",
      "repo:example-org/hello-service:environment:prod:ref:refs/heads/main",
    ]
    error_message = "With environment_branch, an environment's job may assume the role only from that branch (the subject GitHub makes from the claims repo, context and ref)."
  }
}

run "rejects_a_wildcard_environment_branch" {
  command = plan

  variables {
    branch             = null
    environment_branch = "release/*"
  }

  expect_failures = [var.environment_branch]
}

run "rejects_an_environment_branch_beside_a_branch_subject" {
  command = plan

  variables {
    branch              = "main"
    github_environments = ["prod"]
    environment_branch  = "main"
  }

  expect_failures = [var.environment_branch]
}

run "rejects_no_subject_at_all" {
  command = plan

  variables {
    branch              = null
    github_environments = []
  }

  expect_failures = [var.branch]
}

run "the_migration_task_may_run_only_its_family_in_its_cluster" {
  command = plan

  variables {
    task_definition_family = "hello-service-dev"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "RunTheMigrationTask"
      ]).Resource == "arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-service-dev:*" && one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "RunTheMigrationTask"
    ]).Condition.ArnEquals["ecs:cluster"] == "arn:aws:ecs:eu-west-1:123456789012:cluster/hello-service-dev"
    error_message = "RunTask must be limited to the service's family and its cluster."
  }
}

run "no_terraform_roles_without_a_state" {
  command = plan

  assert {
    condition     = length(aws_iam_role.terraform) == 0 && length(aws_iam_role.plan) == 0 && output.terraform_role_arn == null && output.plan_role_arn == null
    error_message = "Without terraform_state there must be no Terraform or plan role."
  }
}

run "release_tags_may_assume_the_push_role_only" {
  command = plan

  variables {
    branch              = null
    github_environments = ["dev"]
    environment_branch  = "main"
    push_role           = true
    release_tag_pattern = "v*"
    terraform_state = {
      bucket      = "acme-hello-service-tfstate"
      key         = "hello-service/dev/terraform.tfstate"
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition = jsondecode(aws_iam_role.push[0].assume_role_policy).Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:environment:dev:ref:refs/heads/main",
      "repo:example-org/hello-service:environment:dev:ref:refs/tags/v*",
    ] && jsondecode(aws_iam_role.push[0].assume_role_policy).Statement[0].Condition.StringEquals == { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
    error_message = "A release tag pattern must add one StringLike subject per environment to the push role, beside the branch-bound one, and keep the audience exact."
  }

  assert {
    condition     = sort(distinct(flatten([for s in jsondecode(aws_iam_role_policy.push[0].policy).Statement : [for a in flatten([s.Action]) : split(":", a)[0]]]))) == tolist(["ecr"])
    error_message = "The push role may use ECR alone: a tag's build can push an image, never deploy it."
  }

  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.push[0].policy).Statement : flatten([s.Action])]), "ecr:DeleteRepository") && aws_iam_role.push[0].permissions_boundary != null
    error_message = "The push role must push and read images only, and carry the boundary."
  }

  assert {
    condition = keys(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition) == ["StringEquals"] && jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:environment:dev:ref:refs/heads/main",
    ]
    error_message = "The deploy role must trust the environment's jobs from the branch only: never a tag."
  }

  assert {
    condition = keys(jsondecode(aws_iam_role.terraform[0].assume_role_policy).Statement[0].Condition) == ["StringEquals"] && jsondecode(aws_iam_role.terraform[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:environment:dev:ref:refs/heads/main",
    ]
    error_message = "The Terraform role must trust the environment's jobs from the branch only: never a tag."
  }
}

run "rejects_a_tag_pattern_without_the_push_role" {
  command = plan

  variables {
    branch              = null
    github_environments = ["dev"]
    environment_branch  = "main"
    release_tag_pattern = "v*"
  }

  expect_failures = [var.release_tag_pattern]
}

run "no_push_role_unless_asked" {
  command = plan

  assert {
    condition     = length(aws_iam_role.push) == 0 && length(aws_iam_role_policy.push) == 0
    error_message = "Only the environment that receives the builds gets a push role."
  }
}

run "the_terraform_role_grants_only_within_the_boundary" {
  command = plan

  variables {
    branch              = null
    github_environments = ["dev"]
    environment_branch  = "main"
    plan_environment    = "dev-plan"
    terraform_state = {
      bucket      = "acme-hello-service-tfstate"
      key         = "hello-service/dev/terraform.tfstate"
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  # Every action that gives a role permissions, or makes one, is allowed only with
  # the boundary as a condition; none of them in an unconditioned statement.
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : [
        for a in ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"] :
        try(s.Condition.StringEquals["iam:PermissionsBoundary"], null) == "arn:aws:iam::123456789012:policy/hello-service-dev-permissions-boundary"
        if s.Effect == "Allow" && contains(flatten([s.Action]), a)
      ]
    ]))
    error_message = "The Terraform role may create or grant a role only with the stack's boundary on it."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : s
      if s.Effect == "Allow" && contains(flatten([s.Action]), "iam:CreateRole")
    ]) == 1
    error_message = "One statement, the conditioned one, allows iam:CreateRole."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "iam:CreatePolicyVersion") && s.Resource == "arn:aws:iam::123456789012:policy/hello-service-dev-permissions-boundary"
      ]) && anytrue([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement :
      s.Effect == "Deny" && contains(flatten([s.Action]), "iam:DeleteRolePermissionsBoundary")
    ])
    error_message = "The Terraform role may neither widen the boundary nor take it off a role."
  }

  # The boundary itself grants no IAM write: a bounded role can never make or widen one.
  assert {
    condition = !anytrue([
      for a in flatten([for s in jsondecode(aws_iam_policy.boundary.policy).Statement : flatten([s.Action]) if s.Effect == "Allow"]) :
      startswith(a, "iam:") && !contains(["iam:Get*", "iam:List*", "iam:PassRole"], a)
    ])
    error_message = "The boundary may allow IAM reads and PassRole only."
  }

  assert {
    condition     = aws_iam_role.deploy.permissions_boundary != null && aws_iam_role.plan[0].permissions_boundary != null
    error_message = "The deploy and plan roles must carry the boundary, or the Terraform role could not manage them."
  }

  # What the Terraform role is denied, the boundary denies too: no role it makes is the
  # way around it.
  assert {
    condition = alltrue([
      for sid in ["NeverChangeATerraformRole", "NeverDisableTheStateKey"] :
      contains([for s in jsondecode(aws_iam_policy.boundary.policy).Statement : s.Sid if s.Effect == "Deny"], sid)
    ])
    error_message = "The boundary must deny what the Terraform role is denied."
  }

  assert {
    condition     = aws_iam_policy.boundary.name == "hello-service-dev-permissions-boundary"
    error_message = "The boundary's name must be the one the Terraform role's conditions name."
  }
}

run "rejects_a_tag_pattern_that_matches_everything" {
  command = plan

  variables {
    release_tag_pattern = "*"
  }

  expect_failures = [var.release_tag_pattern]
}

run "terraform_role_is_scoped_to_the_state_and_the_stack" {
  command = plan

  variables {
    name                = "hello-service-prod"
    branch              = null
    github_environments = ["prod"]
    environment_branch  = "main"
    plan_environment    = "prod-plan"
    terraform_state = {
      bucket      = "acme-hello-service-tfstate"
      key         = "hello-service/prod/terraform.tfstate"
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : s.Resource if s.Sid == "ReadAndWriteTheState"
    ]) == "arn:aws:s3:::acme-hello-service-tfstate/hello-service/prod/terraform.tfstate"
    error_message = "The Terraform role must read and write its environment's state object only."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : s.Resource if s.Sid == "TakeTheStateLock"
    ]) == "arn:aws:s3:::acme-hello-service-tfstate/hello-service/prod/terraform.tfstate.tflock"
    error_message = "The lock object is the state's key with .tflock."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : s.Condition.StringEquals["aws:RequestedRegion"] if s.Sid == "ManageTheStacksServicesInItsRegion"
    ]) == "eu-west-1"
    error_message = "The stack's services must be allowed in its region only."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement : alltrue([
        for r in flatten([try(s.Resource, [])]) : startswith(r, "arn:aws:iam::123456789012:role/hello-service-prod-") || startswith(r, "arn:aws:iam::123456789012:role/aws-service-role/") || r == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" || r == "arn:aws:iam::123456789012:policy/hello-service-prod-permissions-boundary" || (s.Effect == "Deny" && r == "arn:aws:iam::123456789012:role/*-github-terraform")
      ]) if anytrue([for a in flatten([s.Action]) : startswith(a, "iam:")])
    ])
    error_message = "IAM writes must be limited to the stack's roles (NAME-*), the service-linked roles, GitHub's provider and the boundary (read, and denied changes)."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement :
      s.Effect == "Deny" && s.Resource == "arn:aws:iam::123456789012:role/*-github-terraform" && contains(flatten([s.Action]), "iam:PutRolePolicy")
    ])
    error_message = "The Terraform role must not be able to widen its own policy."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.terraform[0].policy).Statement :
      s.Effect == "Deny" && s.Resource == var.terraform_state.kms_key_arn && contains(flatten([s.Action]), "kms:ScheduleKeyDeletion")
    ])
    error_message = "The Terraform role must not be able to delete the state's key."
  }

  assert {
    condition = jsondecode(aws_iam_role.plan[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:environment:prod-plan:ref:refs/heads/main",
    ]
    error_message = "The plan role must trust the plan environment's jobs from the branch only."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only[0].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "The plan role reads through ReadOnlyAccess."
  }

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(aws_iam_role_policy.plan[0].policy).Statement : [
        for a in flatten([s.Action]) : s.Effect == "Allow" && contains(["s3:PutObject", "s3:DeleteObject"], a) && try(s.Resource, "") != "arn:aws:s3:::acme-hello-service-tfstate/hello-service/prod/terraform.tfstate.tflock"
      ]
    ]))
    error_message = "The plan role may write the lock object only, never the state."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.plan[0].policy).Statement :
      s.Effect == "Deny" && s.Action == "s3:GetObject" && contains(try(s.NotResource, []), "arn:aws:s3:::acme-hello-service-tfstate/hello-service/prod/terraform.tfstate")
    ]) && anytrue([for s in jsondecode(aws_iam_role_policy.plan[0].policy).Statement : s.Effect == "Deny" && contains(flatten([s.Action]), "secretsmanager:GetSecretValue")])
    error_message = "The plan role must read no object but the state, and no secret."
  }
}

run "rejects_a_plan_environment_that_deploys" {
  command = plan

  variables {
    plan_environment = "prod"
    terraform_state = {
      bucket      = "acme-hello-service-tfstate"
      key         = "hello-service/prod/terraform.tfstate"
      kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  expect_failures = [var.plan_environment]
}

run "rejects_a_plan_environment_without_a_state" {
  command = plan

  variables {
    plan_environment = "prod-plan"
  }

  expect_failures = [var.plan_environment]
}

run "promotion_pulls_from_the_source_repository_only" {
  command = plan

  variables {
    image_source_repository_arn = "arn:aws:ecr:eu-west-1:210987654321:repository/hello-service-dev"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "PullTheImageToPromote"
      ]).Resource == "arn:aws:ecr:eu-west-1:210987654321:repository/hello-service-dev" && !contains(one([
        for s in jsondecode(aws_iam_role_policy.deploy.policy).Statement : s if s.Sid == "PullTheImageToPromote"
    ]).Action, "ecr:PutImage")
    error_message = "The deploy role may only read the source repository."
  }
}
