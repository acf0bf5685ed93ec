variable "name" {
  description = "Prefix of the deploy role's name (\"<name>-github-deploy\"), for example \"hello-service-dev\"."
  type        = string
  nullable    = false

  validation {
    # IAM role names are limited to 64 characters and "-github-deploy" takes 14.
    condition     = can(regex("^[a-z][a-z0-9-]{0,48}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 50 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "github_repository" {
  description = "The GitHub repository allowed to assume the deploy role, as \"owner/repo\", spelled exactly as GitHub does (the token's subject is compared case-sensitively)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be \"owner/repo\": an owner of letters, digits and hyphens, a repository name of letters, digits, \".\", \"_\" and \"-\", and no wildcards."
  }
}

variable "branch" {
  description = "The branch whose workflow runs without a GitHub environment may assume the deploy role; null for none, so that only jobs of the GitHub environments (and their protection rules) can deploy."
  type        = string
  default     = "main"

  validation {
    # The subject is matched exactly (StringEquals), so wildcards would never
    # match anything; they are rejected to avoid a false sense of what is allowed.
    condition     = var.branch == null || (can(regex("^[A-Za-z0-9._/-]{1,255}$", var.branch)) && !startswith(coalesce(var.branch, "-"), "refs/") && !strcontains(coalesce(var.branch, "-"), ".."))
    error_message = "branch must be a plain branch name such as \"main\" or \"release/v1\" (no \"refs/heads/\" prefix, no wildcards), or null."
  }

  validation {
    condition     = var.branch != null || length(var.github_environments) > 0
    error_message = "With branch null, github_environments must name at least one environment: otherwise no workflow could assume the role."
  }
}

variable "environment_branch" {
  description = "The branch an environment's jobs must run from, bound into their subject: repo:OWNER/REPO:environment:NAME:ref:refs/heads/BRANCH. GitHub puts the ref in the subject only once the repository's OIDC subject template includes the claims repo, context and ref (README). null accepts the default subject, repo:OWNER/REPO:environment:NAME, leaving the branch to the environment's deployment branch policy."
  type        = string
  default     = null

  validation {
    condition     = var.environment_branch == null || (can(regex("^[A-Za-z0-9._/-]{1,255}$", var.environment_branch)) && !startswith(coalesce(var.environment_branch, "-"), "refs/") && !strcontains(coalesce(var.environment_branch, "-"), ".."))
    error_message = "environment_branch must be a plain branch name such as \"main\" (no \"refs/heads/\" prefix, no wildcards), or null."
  }

  validation {
    # The subject template that adds the ref to environment subjects changes the
    # subject of jobs without an environment too, so the branch subject would not match.
    condition     = var.environment_branch == null || var.branch == null
    error_message = "environment_branch cannot be combined with a branch subject: set branch = null (the subject template it needs changes the subjects of jobs without an environment too)."
  }
}

variable "github_environments" {
  description = "GitHub environments whose jobs may assume the deploy role, for example [\"dev\", \"staging\", \"prod\"]. A job that names an environment gets the subject \"repo:OWNER/REPO:environment:NAME\" (with environment_branch, \":ref:refs/heads/BRANCH\" after it) instead of the branch one."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.github_environments : can(regex("^[A-Za-z0-9._-]{1,255}$", e))])
    error_message = "Each GitHub environment name must be 1 to 255 letters, digits, \".\", \"_\" or \"-\" (no wildcards)."
  }

  validation {
    condition     = length(distinct(var.github_environments)) == length(var.github_environments)
    error_message = "github_environments must not contain duplicates."
  }
}

variable "create_oidc_provider" {
  description = "Create the token.actions.githubusercontent.com OIDC provider. An account can have only one provider per URL: create it in one configuration and pass its ARN (oidc_provider_arn) everywhere else."
  type        = bool
  default     = true
  nullable    = false
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, used when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_oidc_provider ? var.oidc_provider_arn == null : var.oidc_provider_arn != null
    error_message = "Set oidc_provider_arn exactly when create_oidc_provider is false."
  }

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the deploy role may push images to."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9._/-]+$", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)."
  }
}

variable "ecs_cluster_arn" {
  description = "ARN of the ECS cluster that runs the service. The service ARN, region and account of the deploy permissions are derived from it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", var.ecs_cluster_arn))
    error_message = "ecs_cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "ecs_service_name" {
  description = "Name of the ECS service the deploy role may update."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.ecs_service_name))
    error_message = "ecs_service_name must be 1 to 255 letters, digits, hyphens or underscores."
  }
}

variable "pass_role_arns" {
  description = "ARNs of the roles a registered task definition names (the task role and the execution role); the deploy role may pass only these, and only to ECS tasks."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.pass_role_arns) >= 1 && alltrue([for a in var.pass_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "pass_role_arns must hold at least one IAM role ARN, and only IAM role ARNs (no wildcards)."
  }
}

variable "codedeploy_app_name" {
  description = "Name of the CodeDeploy application of a blue/green service. When set, the deploy role may create deployments of it; null for rolling deployments."
  type        = string
  default     = null

  validation {
    condition     = var.codedeploy_app_name == null || can(regex("^[A-Za-z0-9._+=,@-]{1,100}$", var.codedeploy_app_name))
    error_message = "codedeploy_app_name must be null or a CodeDeploy application name (1 to 100 characters, no wildcards)."
  }
}

variable "task_definition_family" {
  description = "Task definition family the deploy role may run as a one-off task in the cluster (`hello-service migrate`); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.task_definition_family == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.task_definition_family))
    error_message = "task_definition_family must be 1 to 255 letters, digits, hyphens or underscores."
  }
}

variable "release_tag_pattern" {
  description = "Tags whose environment jobs may assume the push role too, as a pattern such as \"v*\" (the image build of a release tag); never the deploy role. Only needed with push_role and environment_branch: without a branch an environment's subject has no ref. null for none."
  type        = string
  default     = null

  validation {
    # A literal start keeps the pattern from matching every tag.
    condition     = var.release_tag_pattern == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._/*-]{0,99}$", var.release_tag_pattern))
    error_message = "release_tag_pattern must start with a letter or digit, then letters, digits, \".\", \"_\", \"/\", \"-\" or \"*\" (for example \"v*\")."
  }
  validation {
    # Only the push role takes tags: without it the pattern would trust nothing, silently.
    condition     = var.release_tag_pattern == null || var.push_role
    error_message = "release_tag_pattern needs push_role: release tags may assume the push role only."
  }
}

variable "image_source_repository_arn" {
  description = "ECR repository the deploy role may pull from, to copy an image into its own on promotion (the repository of the environment before this one); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.image_source_repository_arn == null || can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9._/-]+$", var.image_source_repository_arn))
    error_message = "image_source_repository_arn must be null or an ECR repository ARN."
  }
}

variable "terraform_state" {
  description = "Where the environment's Terraform state lives (bootstrap's outputs and the backend's key). When set, the module makes the role the deploy workflow runs Terraform with (NAME-github-terraform, trusted like the deploy role) and, with plan_environment, the read-only role of its plan job (NAME-github-plan). null for neither."
  type = object({
    bucket      = string
    key         = string
    kms_key_arn = string
  })
  default = null

  validation {
    condition     = var.terraform_state == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_state.bucket))
    error_message = "terraform_state.bucket must be an S3 bucket name."
  }

  validation {
    condition     = var.terraform_state == null || can(regex("^[A-Za-z0-9!_.()/-]+\\.tfstate$", var.terraform_state.key))
    error_message = "terraform_state.key must be the backend's key, a path ending in .tfstate, without wildcards."
  }

  validation {
    condition     = var.terraform_state == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.terraform_state.kms_key_arn))
    error_message = "terraform_state.kms_key_arn must be a KMS key ARN."
  }
}

variable "plan_environment" {
  description = "GitHub environment of the deploy workflow's plan job, for example \"prod-plan\": without reviewers, so that the plan is in the run's summary before the environment's reviewers are asked. Its jobs may assume the read-only plan role. Needs terraform_state."
  type        = string
  default     = null

  validation {
    condition     = var.plan_environment == null || can(regex("^[A-Za-z0-9._-]{1,255}$", coalesce(var.plan_environment, "-")))
    error_message = "plan_environment must be a GitHub environment name (letters, digits, \".\", \"_\", \"-\"; no wildcards)."
  }

  validation {
    condition     = var.plan_environment == null || !contains(var.github_environments, coalesce(var.plan_environment, "-"))
    error_message = "plan_environment must differ from the deploy environments: its jobs are not gated by their reviewers."
  }

  validation {
    condition     = var.plan_environment == null || var.terraform_state != null
    error_message = "plan_environment needs terraform_state: the plan role reads the state."
  }
}

variable "push_role" {
  description = "Make NAME-github-push, the image workflow's role: push to and read the repository, nothing else. Trusted by the environments' jobs from environment_branch and, with release_tag_pattern, from matching tags. For the environment whose repository receives the builds (dev)."
  type        = bool
  default     = false
}
